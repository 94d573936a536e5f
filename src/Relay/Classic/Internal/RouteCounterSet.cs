namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>
/// The live counters behind <see cref="RouteCounters"/>. Written from the UDP loop thread and from TCP
/// connection tasks, so every update is an interlocked add; callers add once per batch, not per datagram.
/// </summary>
internal sealed class RouteCounterSet
{
    private long _packetsUp;
    private long _bytesUp;
    private long _packetsDown;
    private long _bytesDown;
    private long _dropped;
    private long _malformed;
    private long _flowsOpened;
    private long _flowsClosed;
    private long _denied;
    private long _refused;
    private long _unreachable;
    private long _reconnects;
    private long _kernelDrops;

    public void AddUp(long packets, long bytes)
    {
        if (packets != 0)
        {
            Interlocked.Add(ref _packetsUp, packets);
            Interlocked.Add(ref _bytesUp, bytes);
        }
    }

    public void AddDown(long packets, long bytes)
    {
        if (packets != 0)
        {
            Interlocked.Add(ref _packetsDown, packets);
            Interlocked.Add(ref _bytesDown, bytes);
        }
    }

    public void AddDropped(long count) => AddIfAny(ref _dropped, count);

    public void AddMalformed(long count) => AddIfAny(ref _malformed, count);

    public void AddDenied(long count) => AddIfAny(ref _denied, count);

    public void AddRefused(long count) => AddIfAny(ref _refused, count);

    public void AddUnreachable(long count) => AddIfAny(ref _unreachable, count);

    public void FlowOpened() => Interlocked.Increment(ref _flowsOpened);

    public void FlowClosed() => Interlocked.Increment(ref _flowsClosed);

    public void Reconnected() => Interlocked.Increment(ref _reconnects);

    /// <summary>The listening socket's kernel drop count as last read (a running total: it replaces, not adds).</summary>
    public void SetKernelDrops(long total) => Volatile.Write(ref _kernelDrops, total);

    public RouteCounters Snapshot()
    {
        var opened = Volatile.Read(ref _flowsOpened);
        var closed = Volatile.Read(ref _flowsClosed);
        return new RouteCounters(
            Volatile.Read(ref _packetsUp),
            Volatile.Read(ref _bytesUp),
            Volatile.Read(ref _packetsDown),
            Volatile.Read(ref _bytesDown),
            Volatile.Read(ref _dropped),
            Volatile.Read(ref _malformed),
            opened,
            Math.Max(0, opened - closed),
            closed,
            Volatile.Read(ref _denied),
            Volatile.Read(ref _refused),
            Volatile.Read(ref _unreachable),
            Volatile.Read(ref _reconnects),
            Volatile.Read(ref _kernelDrops));
    }

    private static void AddIfAny(ref long field, long count)
    {
        if (count != 0)
        {
            Interlocked.Add(ref field, count);
        }
    }
}
