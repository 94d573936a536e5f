namespace FastSpinnRelay.Relay.Spalloc.Server;

/// <summary>
/// What <c>jobs/{id}/memory</c> and <c>jobs/{id}/router</c> have done: transfers and bytes each way, routing resets,
/// and those that failed or were refused. Readable from any thread.
/// </summary>
public sealed class SpallocMemoryCounters
{
    private long _reads;
    private long _writes;
    private long _bytesRead;
    private long _bytesWritten;
    private long _failed;
    private long _refused;
    private long _routingResets;

    /// <summary>GET requests that read all they asked for.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>POST requests that wrote all their body.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Bytes read from boards (completed transfers and completed parts of failed ones).</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    /// <summary>Bytes written to boards (likewise).</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Routing resets done (DELETE <c>jobs/{id}/router</c>).</summary>
    public long RoutingResets => Interlocked.Read(ref _routingResets);

    /// <summary>Transfers and routing resets the board did not complete: no answer, an error answer, or the client or the job went away.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Requests refused before any board traffic: bad parameters, a job without boards, too many transfers at once.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public override string ToString() =>
        $"memory: {Reads} reads ({BytesRead} bytes), {Writes} writes ({BytesWritten} bytes), {RoutingResets} routing resets, {Failed} failed, {Refused} refused";

    internal void Read(long bytes)
    {
        Interlocked.Increment(ref _reads);
        Interlocked.Add(ref _bytesRead, bytes);
    }

    internal void Written(long bytes)
    {
        Interlocked.Increment(ref _writes);
        Interlocked.Add(ref _bytesWritten, bytes);
    }

    internal void PartlyDone(bool write, long bytes)
    {
        Interlocked.Increment(ref _failed);
        Interlocked.Add(ref write ? ref _bytesWritten : ref _bytesRead, bytes);
    }

    internal void RoutingReset() => Interlocked.Increment(ref _routingResets);

    internal void RoutingFailed() => Interlocked.Increment(ref _failed);

    internal void RefusedOne() => Interlocked.Increment(ref _refused);
}
