using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>
/// What a route keeps per peer: who it is, when it last sent or received, and how much it moved. Subclasses add
/// the path towards the target (a UDP socket, or a TCP connection).
/// </summary>
internal abstract class PeerFlow(UdpAddress peer, int number)
{
    private long _packetsUp;
    private long _packetsDown;
    private long _lastActive = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>The peer's address (the key of the flow table).</summary>
    public UdpAddress Peer { get; } = peer;

    /// <summary>Sequence number of this flow in its route, for logs ("flow #12").</summary>
    public int Number { get; } = number;

    /// <summary>Stopwatch timestamp of the last datagram in either direction.</summary>
    public long LastActive
    {
        get => Volatile.Read(ref _lastActive);
        set => Volatile.Write(ref _lastActive, value);
    }

    public long PacketsUp => Volatile.Read(ref _packetsUp);

    public long PacketsDown => Volatile.Read(ref _packetsDown);

    public void AddUp(long packets) => Interlocked.Add(ref _packetsUp, packets);

    public void AddDown(long packets) => Interlocked.Add(ref _packetsDown, packets);
}
