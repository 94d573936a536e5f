using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Spalloc.Client.Internal;

/// <summary>
/// One local application talking to one board port: its own proxy channel, so replies go back to it alone (as with
/// the classic relay's per-client upstream). <see cref="Channel"/> is 0 while the channel opens or the websocket is
/// being reconnected; datagrams are then held (bounded) and sent when it opens.
/// </summary>
internal sealed class Flow(BoardPort port, UdpAddress application)
{
    private readonly List<byte[]> _held = [];
    private volatile uint _channel;

    public BoardPort Port { get; } = port;

    public UdpAddress Application { get; } = application;

    /// <summary>The open channel, or 0.</summary>
    public uint Channel
    {
        get => _channel;
        set => _channel = value;
    }

    /// <summary>When the application last sent, in <see cref="System.Diagnostics.Stopwatch"/> ticks (loop thread only).</summary>
    public long LastActive { get; set; }

    /// <summary>True while an OPEN for this flow is in flight (loop thread only).</summary>
    public bool Opening { get; set; }

    /// <summary>Keeps a copy of a datagram until the channel opens (loop thread only); false when <paramref name="limit"/> are held.</summary>
    public bool Hold(ReadOnlySpan<byte> payload, int limit)
    {
        if (_held.Count >= limit)
        {
            return false;
        }

        _held.Add(payload.ToArray());
        return true;
    }

    /// <summary>Sends what was held on the now open channel (loop thread only).</summary>
    public void SendHeld(SpallocProxyClient proxy)
    {
        foreach (var datagram in _held)
        {
            proxy.TrySendMessage(Channel, datagram);
        }

        _held.Clear();
        proxy.Flush();
    }

    public override string ToString() => $"{Port.Kind} {Port.X},{Port.Y} for {Application}";
}

/// <summary>A local UDP port standing for one board port (SCP or boot); its flows are keyed by application address.</summary>
internal sealed class BoardPort(string kind, int x, int y, int boardPort, UdpSocket socket)
{
    public string Kind { get; } = kind;

    public int X { get; } = x;

    public int Y { get; } = y;

    public int Remote { get; } = boardPort;

    public UdpSocket Socket { get; } = socket;

    /// <summary>Flows by application address (loop thread only).</summary>
    public Dictionary<UdpAddress, Flow> Flows { get; } = [];
}
