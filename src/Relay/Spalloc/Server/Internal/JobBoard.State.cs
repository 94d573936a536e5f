using System.Globalization;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// Keeping jobs across restarts: <see cref="Restore"/> reads the state file at start; every change bumps a version
/// under the lock and <see cref="SaveIfChanged"/> (outside it) writes the latest state when the version moved. Saves
/// are serialised by their own lock, so disk writes never hold up the job lock and a later save always writes a state
/// at least as new as an earlier one.
/// </summary>
internal sealed partial class JobBoard
{
    private readonly JobStateFile? _store;
    private readonly Lock _saveGate = new();
    private long _savedVersion;

    /// <summary>True when jobs are kept in a state file (they outlive the server; stopping it leaves them as they are).</summary>
    public bool IsPersistent => _store is not null;

    /// <summary>
    /// Loads the state file (none yet: no jobs), expires the jobs whose keepalive lapsed while the server was stopped (at
    /// the moment they lapsed, as a running server would have), destroys those whose boards are no longer configured, and
    /// writes the file back, so a file that cannot be written is found now rather than at the first job.
    /// </summary>
    /// <returns>One line for the log: what was restored and what was expired.</returns>
    /// <exception cref="SpallocStateFileException">The file cannot be read, is not a state file, or cannot be written.</exception>
    public string Restore()
    {
        if (_store is null)
        {
            return "";
        }

        var document = _store.Load();
        string summary;
        lock (_gate)
        {
            summary = document is null ? $"no job state file yet at {_store.Path}; starting with no jobs" : RestoreLocked(document);
            _version++;
        }

        lock (_saveGate)
        {
            SaveLocked(strict: true);
        }

        return summary;
    }

    /// <summary>Writes the jobs to the state file when they changed since the last save. A failed save is logged; the next change tries again.</summary>
    public void SaveIfChanged()
    {
        if (_store is null)
        {
            return;
        }

        lock (_saveGate)
        {
            SaveLocked(strict: false);
        }
    }

    private void SaveLocked(bool strict)
    {
        JobStateDocument document;
        long version;
        lock (_gate)
        {
            if (_version == _savedVersion)
            {
                return;
            }

            version = _version;
            document = CaptureLocked();
        }

        try
        {
            _store!.Save(document);
            _savedVersion = version;
        }
        catch (SpallocStateFileException ex) when (!strict)
        {
            Log.Error(ProxyHub.Component, ex.Message + " (jobs go on in memory; the next change tries again)");
        }
    }

    private JobStateDocument CaptureLocked() => new()
    {
        Format = JobStateDocument.CurrentFormat,
        Machine = _machine.Name,
        LastJobId = _nextId,
        Jobs = _live.Values.OrderBy(j => j.Id).Concat(_destroyed).Select(j => (JobRecordJson?)JobRecords.ToRecord(j, _machine)).ToList(),
    };

    private string RestoreLocked(JobStateDocument document)
    {
        var now = _time.GetUtcNow();
        var expired = new List<int>();
        var lost = new List<string>();
        foreach (var record in document.Jobs!)
        {
            Job job;
            JobState state;
            JobAllocation? allocation;
            string? gone;
            try
            {
                job = JobRecords.FromRecord(record, _machine, out state, out allocation, out gone);
            }
            catch (InvalidDataException ex)
            {
                throw _store!.Problem(ex.Message, ex);
            }

            if (job.Id > document.LastJobId || _live.ContainsKey(job.Id) || _destroyed.Any(d => d.Id == job.Id))
            {
                throw _store!.Problem($"job {job.Id} is listed twice or is above last-job-id {document.LastJobId}");
            }

            if (state == JobState.Destroyed)
            {
                if (_destroyed.Count < SpallocServerOptions.MaxDestroyedJobsKept)
                {
                    _destroyed.AddLast(job);
                }

                continue;
            }

            _live.Add(job.Id, job);
            if (gone is not null)
            {
                DestroyLocked(job, "lost at restart: " + gone, now);
                lost.Add($"{job.Id} ({gone})");
            }
            else if (allocation is not null)
            {
                foreach (var index in allocation.BoardIndices)
                {
                    if (_holder[index] != 0)
                    {
                        throw _store!.Problem($"jobs {_holder[index]} and {job.Id} both hold {_machine.Boards[index]}");
                    }

                    _holder[index] = job.Id;
                }

                job.Allocate(allocation);
            }
            else
            {
                _queue.Add(job);
            }
        }

        _nextId = document.LastJobId!.Value;
        _queue.Sort((a, b) => a.Id.CompareTo(b.Id));
        foreach (var job in _live.Values.Where(j => now - j.LastKeepalive > j.KeepaliveInterval).ToList())
        {
            DestroyLocked(job, "keepalive expired", job.LastKeepalive + job.KeepaliveInterval);
            expired.Add(job.Id);
        }

        AllocateQueuedLocked();
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"restored {_live.Count} job(s) from {_store!.Path} ({_live.Values.Count(j => j.State == JobState.Ready)} ready, {_queue.Count} queued; last job id {_nextId})");
        if (expired.Count > 0)
        {
            text += $"; keepalive lapsed while stopped, expired: {string.Join(", ", expired)}";
        }

        if (lost.Count > 0)
        {
            text += $"; destroyed, boards no longer configured: {string.Join(", ", lost)}";
        }

        return text;
    }
}
