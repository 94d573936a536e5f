using System.Text.Json;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// The file jobs are kept in across restarts. <see cref="Save"/> replaces it atomically: the new text goes to
/// <c>FILE.tmp</c> beside it, is flushed to disk, then renamed over the file (and the directory flushed, so the rename
/// is on disk too), so a crash leaves the old file or the new one, never half of one (and the temporary file is
/// removed when writing fails). <see cref="Claim"/> locks <c>FILE.lock</c> beside it for the server's life, so a
/// second server given the same file refuses to start instead of overwriting the first one's jobs. Not thread-safe:
/// one caller at a time.
/// </summary>
internal sealed class JobStateFile(string path) : IDisposable
{
    private FileStream? _lock;

    /// <summary>A state file is read whole; larger than this is not one of ours.</summary>
    public const long MaxBytes = 64L << 20;

    public string Path { get; } = path;

    public string TemporaryPath => Path + ".tmp";

    public string LockPath => Path + ".lock";

    /// <summary>
    /// Takes the lock file (an exclusive lock the kernel drops when the process ends, however it ends), held until
    /// <see cref="Dispose"/>. Idempotent.
    /// </summary>
    /// <exception cref="SpallocStateFileException">Another process (or server) holds it, or it cannot be created.</exception>
    public void Claim()
    {
        if (_lock is not null)
        {
            return;
        }

        try
        {
            _lock = new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SpallocStateFileException(
                $"job state file {Path}: cannot lock {LockPath}: {ex.Message} (is another relay spalloc serve using this state file?)", ex);
        }
    }

    /// <summary>Releases the lock file (left on disk: an unlocked lock file means nothing). Idempotent.</summary>
    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
    }

    /// <summary>The stored document, or null when there is no file yet (the first start).</summary>
    /// <exception cref="SpallocStateFileException">The file cannot be read or is not a state file of this format.</exception>
    public JobStateDocument? Load()
    {
        byte[] bytes;
        try
        {
            if (!File.Exists(Path))
            {
                return null;
            }

            using var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxBytes)
            {
                throw Problem($"it is {stream.Length} bytes, more than a state file's {MaxBytes}");
            }

            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Problem($"cannot read it: {ex.Message}", ex);
        }

        return Parse(bytes);
    }

    /// <summary>The document in <paramref name="bytes"/> (the file's whole content), checked for its format and required fields.</summary>
    /// <exception cref="SpallocStateFileException">It is not a state file of this format.</exception>
    public JobStateDocument Parse(ReadOnlySpan<byte> bytes)
    {
        JobStateDocument? document;
        try
        {
            document = JsonSerializer.Deserialize(bytes, JobStateJsonContext.Default.JobStateDocument);
        }
        catch (JsonException ex)
        {
            throw Problem($"it is not valid state JSON: {Diagnostics.Log.Escape(ex.Message, 200)}", ex);
        }

        if (document is null)
        {
            throw Problem("it holds null instead of the job state");
        }

        if (document.Format != JobStateDocument.CurrentFormat)
        {
            throw Problem($"its format is {document.Format?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "missing"}, this server reads {JobStateDocument.CurrentFormat}");
        }

        if (document.LastJobId is not { } last || last < 0 || document.Jobs is null)
        {
            throw Problem("last-job-id or jobs is missing");
        }

        return document;
    }

    /// <summary>Writes <paramref name="document"/> to a temporary file, flushes it to disk and renames it over the file.</summary>
    /// <exception cref="SpallocStateFileException">Writing failed; the previous file is left as it was.</exception>
    public void Save(JobStateDocument document)
    {
        var temporary = TemporaryPath;
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                JsonSerializer.Serialize(stream, document, JobStateJsonContext.Default.JobStateDocument);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
            DirectorySync.TryFlush(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path)) ?? ".");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new SpallocStateFileException($"job state file {Path}: cannot write it: {ex.Message}", ex);
        }
    }

    /// <summary>A load problem: the file's name, what is wrong, and what the administrator can do.</summary>
    public SpallocStateFileException Problem(string problem, Exception? inner = null) =>
        new($"job state file {Path}: {problem} (fix it, or move it aside to start with no jobs)", inner);

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the next save overwrites it.
        }
    }
}
