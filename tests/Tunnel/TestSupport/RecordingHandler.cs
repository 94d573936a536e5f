using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel.Tests.TestSupport;

/// <summary>
/// Records what a channel receives; optionally echoes each datagram back (a board answering SCP). Also counts the
/// latest queue's room notifications (<see cref="Rooms"/>), which it hears only after a TryWaitForLatestRoom.
/// </summary>
internal sealed class RecordingHandler(bool echo = false) : ITunnelRoomHandler
{
    private readonly List<byte[]> _datagrams = [];
    private readonly List<uint> _gaps = [];
    private int _rooms;

    /// <summary>Times <see cref="ITunnelRoomHandler.OnRoom"/> was called.</summary>
    public int Rooms => Volatile.Read(ref _rooms);

    public TunnelErrorCode? ClosedWith { get; private set; }

    /// <summary>Called before each datagram is recorded (tests slow the receiver down with it).</summary>
    public Action? BeforeEach { get; set; }

    public int Count
    {
        get
        {
            lock (_datagrams)
            {
                return _datagrams.Count;
            }
        }
    }

    public byte[][] Datagrams
    {
        get
        {
            lock (_datagrams)
            {
                return [.. _datagrams];
            }
        }
    }

    public uint[] Gaps
    {
        get
        {
            lock (_datagrams)
            {
                return [.. _gaps];
            }
        }
    }

    public void OnDatagram(TunnelChannel channel, ReadOnlySpan<byte> datagram, uint gapMicroseconds)
    {
        BeforeEach?.Invoke();
        lock (_datagrams)
        {
            _datagrams.Add(datagram.ToArray());
            _gaps.Add(gapMicroseconds);
        }

        if (echo)
        {
            Assert.Equal(TunnelSendStatus.Sent, channel.TrySend(datagram));
        }
    }

    public void OnClosed(TunnelChannel channel, TunnelErrorCode code) => ClosedWith = code;

    public void OnRoom(TunnelChannel channel) => Interlocked.Increment(ref _rooms);
}

/// <summary>Accepts every channel the peer opens (except refused kinds), with a recording (optionally echoing) handler.</summary>
internal sealed class RecordingAcceptor(bool echo = false, params TunnelChannelKind[] refuse) : ITunnelChannelAcceptor
{
    private readonly List<(TunnelChannel Channel, RecordingHandler Handler)> _opened = [];

    public int Calls { get; private set; }

    public (TunnelChannel Channel, RecordingHandler Handler)[] Opened
    {
        get
        {
            lock (_opened)
            {
                return [.. _opened];
            }
        }
    }

    public ITunnelChannelHandler? OnChannelOpening(TunnelChannel channel)
    {
        Calls++;
        if (refuse.Contains(channel.Kind))
        {
            return null;
        }

        var handler = new RecordingHandler(echo);
        lock (_opened)
        {
            _opened.Add((channel, handler));
        }

        return handler;
    }

    public (TunnelChannel Channel, RecordingHandler Handler) For(ushort id) => Opened.Single(o => o.Channel.Id == id);
}
