namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>The mutable counters behind <see cref="TunnelSessionCounters"/>, updated with Interlocked.</summary>
internal sealed class SessionCounters
{
    public long ReliableFramesQueued;
    public long ReliableFramesRetransmitted;
    public long ReliableFramesReceived;
    public long DuplicatesDropped;
    public long LatestDatagramsQueued;
    public long LatestDatagramsDropped;
    public long LatestBytesDropped;
    public long LatestDatagramsReceived;
    public long BatchesSent;
    public long BatchesCompressed;
    public long BatchRawBytes;
    public long BatchWireBytes;
    public long DatagramsForClosedChannels;
    public long HandlerFaults;
    public long PingsSent;
    public long PongsReceived;
    public long Connections;
    public long BytesReceived;

    public TunnelSessionCounters Snapshot() => new()
    {
        ReliableFramesQueued = Volatile.Read(ref ReliableFramesQueued),
        ReliableFramesRetransmitted = Volatile.Read(ref ReliableFramesRetransmitted),
        ReliableFramesReceived = Volatile.Read(ref ReliableFramesReceived),
        DuplicatesDropped = Volatile.Read(ref DuplicatesDropped),
        LatestDatagramsQueued = Volatile.Read(ref LatestDatagramsQueued),
        LatestDatagramsDropped = Volatile.Read(ref LatestDatagramsDropped),
        LatestBytesDropped = Volatile.Read(ref LatestBytesDropped),
        LatestDatagramsReceived = Volatile.Read(ref LatestDatagramsReceived),
        BatchesSent = Volatile.Read(ref BatchesSent),
        BatchesCompressed = Volatile.Read(ref BatchesCompressed),
        BatchRawBytes = Volatile.Read(ref BatchRawBytes),
        BatchWireBytes = Volatile.Read(ref BatchWireBytes),
        DatagramsForClosedChannels = Volatile.Read(ref DatagramsForClosedChannels),
        HandlerFaults = Volatile.Read(ref HandlerFaults),
        PingsSent = Volatile.Read(ref PingsSent),
        PongsReceived = Volatile.Read(ref PongsReceived),
        Connections = Volatile.Read(ref Connections),
        BytesReceived = Volatile.Read(ref BytesReceived),
    };
}
