namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// The jobs and the machine's boards: creates jobs, allocates boards first fit (queued jobs in arrival order, each
/// taking the first free boards that satisfy it), keeps jobs alive, expires those whose keepalive lapsed, and frees
/// boards on destruction. One lock guards everything; the work under it is small and never blocks. With a state file,
/// every change is saved after the lock is released (JobBoard.State.cs).
/// </summary>
internal sealed partial class JobBoard
{
    private readonly Lock _gate = new();
    private readonly SpallocMachine _machine;
    private readonly TimeProvider _time;
    private int _maxJobsPerUser;
    private readonly int[] _holder;                       // job id holding each board, 0 = free
    private readonly Dictionary<int, Job> _live = [];     // queued and allocated
    private readonly List<Job> _queue = [];               // queued, arrival order
    private readonly LinkedList<Job> _destroyed = new();  // most recent first, capped
    private int _nextId;
    private long _version;                                // changes so far (saved when it moves)

    /// <summary>A board of <paramref name="machine"/>'s jobs; with <paramref name="store"/>, jobs are saved there (call <see cref="Restore"/> first).</summary>
    public JobBoard(SpallocMachine machine, TimeProvider time, int maxJobsPerUser, JobStateFile? store = null)
    {
        _machine = machine;
        _time = time;
        _maxJobsPerUser = maxJobsPerUser;
        _store = store;
        _holder = new int[machine.Boards.Count];
    }

    /// <summary>Called (outside the lock) after a job is destroyed, so its websockets can be closed.</summary>
    public event Action<int, string>? JobDestroyed;

    public SpallocMachine Machine => _machine;

    /// <summary>Jobs one user may have queued or running; a reload may change it (jobs beyond a lowered limit are kept, new ones refused).</summary>
    public int MaxJobsPerUser
    {
        get
        {
            lock (_gate)
            {
                return _maxJobsPerUser;
            }
        }

        set
        {
            lock (_gate)
            {
                _maxJobsPerUser = value;
            }
        }
    }

    /// <summary>Creates a job, allocating at once when boards are free, else queueing it.</summary>
    /// <returns>
    /// The job, or null with <paramref name="problem"/>: the request can never be met (<paramref name="tooMany"/> false),
    /// or the user already has <c>MaxJobsPerUser</c> jobs (<paramref name="tooMany"/> true).
    /// </returns>
    public Job? Create(string owner, BoardRequest request, TimeSpan keepalive, string? originalRequest, out string? problem, out bool tooMany)
    {
        tooMany = false;
        if (TryPlace(request, allFree: true) is null)
        {
            problem = "that job cannot possibly fit on this machine";
            return null;
        }

        Job job;
        lock (_gate)
        {
            if (_live.Values.Count(j => j.Owner == owner) >= _maxJobsPerUser)
            {
                problem = $"user {owner} already has {_maxJobsPerUser} jobs (the limit); destroy one first";
                tooMany = true;
                return null;
            }

            job = new Job(++_nextId, owner, request, keepalive, _time.GetUtcNow(), originalRequest);
            _live.Add(job.Id, job);
            _queue.Add(job);
            AllocateQueuedLocked();
            _version++;
            problem = null;
        }

        SaveIfChanged();
        return job;
    }

    public Job? Find(int id)
    {
        lock (_gate)
        {
            if (_live.TryGetValue(id, out var job))
            {
                return job;
            }

            foreach (var old in _destroyed)
            {
                if (old.Id == id)
                {
                    return old;
                }
            }

            return null;
        }
    }

    /// <summary>Jobs visible to a user (all for an admin), newest first; destroyed ones only when asked.</summary>
    public List<Job.Snapshot> List(string user, bool admin, bool includeDestroyed)
    {
        lock (_gate)
        {
            var jobs = _live.Values.Concat(includeDestroyed ? _destroyed : Enumerable.Empty<Job>())
                .Where(j => admin || j.Owner == user)
                .OrderByDescending(j => j.Id)
                .Select(j => j.Take())
                .ToList();
            return jobs;
        }
    }

    public Job.Snapshot Snapshot(Job job)
    {
        lock (_gate)
        {
            return job.Take();
        }
    }

    /// <summary>Records a keepalive; false when the job is already destroyed.</summary>
    public bool Keepalive(Job job, string? host)
    {
        lock (_gate)
        {
            if (job.State == JobState.Destroyed)
            {
                return false;
            }

            job.LastKeepalive = _time.GetUtcNow();
            job.KeepaliveHost = host;
            _version++;
        }

        SaveIfChanged();
        return true;
    }

    /// <summary>Destroys a job (idempotent), frees its boards and hands them to queued jobs.</summary>
    public void Destroy(Job job, string reason)
    {
        lock (_gate)
        {
            if (!DestroyLocked(job, reason))
            {
                return;
            }

            AllocateQueuedLocked();
        }

        SaveIfChanged();
        JobDestroyed?.Invoke(job.Id, reason);
    }

    /// <summary>Destroys every job whose keepalive interval has passed without a keepalive. Returns how many.</summary>
    public int ExpireLapsed()
    {
        List<Job>? lapsed = null;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            foreach (var job in _live.Values)
            {
                if (now - job.LastKeepalive > job.KeepaliveInterval)
                {
                    (lapsed ??= []).Add(job);
                }
            }

            if (lapsed is null)
            {
                return 0;
            }

            foreach (var job in lapsed)
            {
                DestroyLocked(job, "keepalive expired");
            }

            AllocateQueuedLocked();
        }

        SaveIfChanged();
        foreach (var job in lapsed)
        {
            JobDestroyed?.Invoke(job.Id, "keepalive expired");
        }

        return lapsed.Count;
    }

    /// <summary>Destroys every live job (server shutdown).</summary>
    public void DestroyAll(string reason) => DestroyOwnedBy(_ => true, reason);

    /// <summary>Destroys every live job whose owner <paramref name="owned"/> accepts; returns their ids, lowest first.</summary>
    public List<int> DestroyOwnedBy(Func<string, bool> owned, string reason)
    {
        List<Job> jobs;
        lock (_gate)
        {
            jobs = [.. _live.Values.Where(j => owned(j.Owner)).OrderBy(j => j.Id)];
        }

        foreach (var job in jobs)
        {
            Destroy(job, reason);
        }

        return [.. jobs.Select(j => j.Id)];
    }

    private bool DestroyLocked(Job job, string reason, DateTimeOffset? at = null)
    {
        if (job.State == JobState.Destroyed)
        {
            return false;
        }

        if (job.Allocation is { } allocation)
        {
            foreach (var index in allocation.BoardIndices)
            {
                _holder[index] = 0;
            }
        }

        _queue.Remove(job);
        _live.Remove(job.Id);
        job.Destroy(at ?? _time.GetUtcNow(), reason);
        _version++;
        _destroyed.AddFirst(job);
        if (_destroyed.Count > SpallocServerOptions.MaxDestroyedJobsKept)
        {
            _destroyed.RemoveLast();
        }

        return true;
    }

    private void AllocateQueuedLocked()
    {
        for (var i = 0; i < _queue.Count;)
        {
            var job = _queue[i];
            if (TryPlace(job.Request, allFree: false) is { } allocation)
            {
                foreach (var index in allocation.BoardIndices)
                {
                    _holder[index] = job.Id;
                }

                job.Allocate(allocation);
                _version++;
                _queue.RemoveAt(i);
            }
            else
            {
                i++;
            }
        }
    }

    /// <summary>Where <paramref name="request"/> would go now (or on an empty machine), or null.</summary>
    private JobAllocation? TryPlace(BoardRequest request, bool allFree)
    {
        var boards = _machine.Boards;
        bool Free(int index) => allFree || Volatile.Read(ref _holder[index]) == 0;
        switch (request)
        {
            case BoardRequest.Specific specific:
                return Free(specific.BoardIndex) ? Single(specific.BoardIndex) : null;
            case BoardRequest.AnyOne:
                for (var i = 0; i < boards.Count; i++)
                {
                    if (Free(i))
                    {
                        return Single(i);
                    }
                }

                return null;
            case BoardRequest.Rectangle rect:
                // long counters: a root of int.MaxValue (a hand-edited state file) made an int one wrap and the loop never end.
                for (long ry = rect.RootY ?? 0; ry <= (rect.RootY ?? _machine.Height - 1); ry++)
                {
                    for (long rx = rect.RootX ?? 0; rx <= (rect.RootX ?? _machine.Width - 1); rx++)
                    {
                        if (TryRectangle(rect, (int)rx, (int)ry, Free) is { } found)
                        {
                            return found;
                        }
                    }
                }

                return null;
            default:
                return null;
        }

        JobAllocation Single(int index)
        {
            var board = boards[index];
            return new JobAllocation([index], boards, board.ChipX, board.ChipY, 8, 8, 1);
        }
    }

    private JobAllocation? TryRectangle(BoardRequest.Rectangle rect, int rx, int ry, Func<int, bool> free)
    {
        if ((long)rx + rect.Width > _machine.Width || (long)ry + rect.Height > _machine.Height || rx < 0 || ry < 0)
        {
            return null; // in long: sizes and roots from a state file may be anything an int holds
        }

        var boards = _machine.Boards;
        var inside = new List<int>();
        for (var i = 0; i < boards.Count; i++)
        {
            var b = boards[i];
            if (b.X >= rx && b.X < rx + rect.Width && b.Y >= ry && b.Y < ry + rect.Height)
            {
                if (!free(i))
                {
                    return null;
                }

                inside.Add(i);
            }
        }

        var needed = Math.Max(1L, ((long)rect.Width * rect.Height * 3) - rect.Tolerance);
        if (inside.Count < needed)
        {
            return null;
        }

        var pitch = SpallocBoard.TriadChipPitch;
        return new JobAllocation(inside, boards, pitch * rx, pitch * ry, pitch * rect.Width, pitch * rect.Height, 3);
    }
}
