using System.Diagnostics;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tunneling.Internal;

/// <summary>
/// One tunnel channel on the server: its own UDP socket towards the board (so the board's replies come back to this
/// channel only, as the classic server's per-peer flows do). What arrives on the channel leaves on the socket (boot
/// packets through a <see cref="BootPacer"/>); what the board sends to the socket goes into the channel. A live-output
/// flow gets its socket once the board's IP tag points at it (<see cref="Attach"/>) and sends nothing to the board.
/// </summary>
/// <remarks>
/// <para>
/// Threading: <see cref="OnDatagrams"/> runs on the UDP loop (one TrySendAll per batch, no allocation);
/// <see cref="OnDatagram"/> and <see cref="OnBatchEnd"/> on the tunnel session's receive loop (one sendmmsg per read
/// of the tunnel, no allocation after the first datagram).
/// </para>
/// <para>
/// Live output under overload (the board sends faster than the tunnel carries): once the session's latest queue
/// drops datagrams, the flow stops reading its socket (<see cref="ListenerBackpressure"/>) until the send loop has
/// drained the queue to half, the connection ends, or a tick (100 ms) passes. The kernel then drops the excess
/// unread, and the CPU the loop spent receiving datagrams only to drop them goes to the send loop: on two cores the
/// bench's full-rate 24-byte stream went from 0.33 to 0.81 of one UDP hop's rate (docs/performance.md). What reaches
/// the visualiser is at most a pause older than with dropping the oldest alone.
/// </para>
/// </remarks>
internal sealed class BoardFlow : IUdpReceiver, ITunnelRoomHandler, ITunnelBatchHandler
{
    /// <summary>
    /// Datagrams towards the board collected over one read of the tunnel (SCP and EIEIO input; boot goes through the
    /// pacer) and sent in one sendmmsg when the read's frames are handled (<see cref="OnBatchEnd"/>); runs of one size
    /// share a slot as a GSO group. 32 slots of 2 KiB (64 KiB pinned, on the first datagram).
    /// </summary>
    private readonly GatheredSends _toBoard = new(32);

    private readonly BoardChannelAcceptor _owner;
    private readonly BootPacer? _pacer;
    private long _up;
    private long _down;
    private long _dropped;
    private readonly Lock _gate = new();
    private UdpSocket? _socket;
    private ListenerBackpressure? _backpressure;
    private bool _closed;
    private long _earlierPauses;
    private long _earlierKernelDrops;

    public BoardFlow(BoardChannelAcceptor owner, TunnelChannel channel, UdpSocket? socket, BootPacer? pacer)
    {
        _owner = owner;
        Channel = channel;
        _socket = socket;
        _pacer = pacer;
    }

    public TunnelChannel Channel { get; }

    /// <summary>The socket, or null while a live-output flow is still being set up.</summary>
    public UdpSocket? Socket => Volatile.Read(ref _socket);

    /// <summary>Stopwatch timestamp of the last datagram either way.</summary>
    public long LastActive { get; private set; } = Stopwatch.GetTimestamp();

    /// <summary>Datagrams sent towards the board.</summary>
    public long PacketsUp => Volatile.Read(ref _up) + _toBoard.Sent;

    /// <summary>Datagrams from the board queued into the tunnel.</summary>
    public long PacketsDown => Volatile.Read(ref _down);

    /// <summary>Datagrams from the board the tunnel could not take (replay buffer full, or the channel closed meanwhile).</summary>
    public long Dropped => Volatile.Read(ref _dropped) + _toBoard.Failed;

    public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
    {
        // The whole batch in one call: one lock and one wake-up of the tunnel's send loop per batch, not per datagram.
        // Cut (truncated) datagrams are skipped; everything not queued is counted as dropped.
        var source = new BatchDatagrams(batch);
        long sent = Channel.TrySendAll(ref source);
        var dropped = batch.Count - sent;
        LastActive = Stopwatch.GetTimestamp();
        Interlocked.Add(ref _down, sent);
        if (dropped > 0)
        {
            Interlocked.Add(ref _dropped, dropped);
            if (Channel.IsOpen)
            {
                _owner.LogDropped(this, dropped); // a closed channel refuses too: its closed line counts those, without a warning
            }
        }

        if (_backpressure is { } backpressure && Channel.LatestQueueOverflowed)
        {
            // Queue the pause first: room announced after the wait is registered cancels or ends it.
            backpressure.Refused();
            if (Channel.TryWaitForLatestRoom())
            {
                _owner.Paused();
            }
            else
            {
                backpressure.Room();
            }
        }
    }

    /// <summary>The session's latest queue has room again: read the socket again.</summary>
    public void OnRoom(TunnelChannel channel) => _backpressure?.Room();

    /// <summary>The owner's tick: a pause lasts a tick at most.</summary>
    public void Tick() => _backpressure?.Room();

    /// <summary>Times reading stopped because the tunnel's latest queue overflowed (on this socket and those it replaced).</summary>
    public long Pauses => (_backpressure?.Pauses ?? 0) + Interlocked.Read(ref _earlierPauses);

    /// <summary>
    /// Datagrams the kernel dropped at the socket's full buffer (e.g. while paused), as of closing, and at the sockets a
    /// moved IP tag replaced (<see cref="Attach"/>) as of their replacement; 0 before.
    /// </summary>
    public long KernelDrops { get; private set; }

    public void OnDatagram(TunnelChannel channel, ReadOnlySpan<byte> datagram, uint gapMicroseconds)
    {
        LastActive = Stopwatch.GetTimestamp();
        if (_pacer is not null)
        {
            if (_pacer.TryEnqueue(datagram, gapMicroseconds))
            {
                Interlocked.Increment(ref _up);
                return;
            }

            Interlocked.Increment(ref _dropped);
            _owner.LogDropped(this, 1);
            return;
        }

        if (Channel.Kind is not (TunnelChannelKind.Scp or TunnelChannelKind.EieioInput) || Socket is not { } socket)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        _toBoard.Add(socket, datagram, default);
    }

    /// <summary>The tunnel's read is handled: what it brought for the board leaves now.</summary>
    public void OnBatchEnd(TunnelChannel channel) => _toBoard.Flush();

    public void OnClosed(TunnelChannel channel, TunnelErrorCode code) => _owner.Release(this, WhyClosed(code, channel.Session.IsClosed));

    /// <summary>
    /// Why the session let the channel go, for the "closed …" line: the client's CLOSE arrives while the session lives;
    /// the server's stop and the end of the session (expired, revoked, the client gone) close every channel with it.
    /// </summary>
    internal static string WhyClosed(TunnelErrorCode code, bool sessionClosed) => (code, sessionClosed) switch
    {
        (TunnelErrorCode.Shutdown, true) => "server shutting down",
        (TunnelErrorCode.SessionLost, _) => "its session ended",
        _ => $"closed by the client ({code})",
    };

    /// <summary>
    /// Gives a live-output flow its socket and registers it; false (socket disposed) when the flow closed meanwhile or the
    /// loop has stopped. A flow that had a socket (its IP tag was set again on the board at a new address,
    /// <see cref="BoardChannelAcceptor.MoveBoardAsync"/>) reads the new one from now on: the earlier one is let go once the
    /// new one is registered, so the new board's output is read before the old board's stops being read.
    /// </summary>
    public bool Attach(UdpSocket socket, UdpEventLoop loop)
    {
        UdpSocket? earlier = null;
        ListenerBackpressure? earlierBackpressure = null;
        var attached = false;
        lock (_gate)
        {
            if (!_closed)
            {
                earlier = _socket;
                earlierBackpressure = _backpressure;
                _socket = socket;
                _backpressure = new ListenerBackpressure(loop, socket, this);
                attached = loop.Register(socket, this);
                if (!attached)
                {
                    _socket = earlier;
                    _backpressure = earlierBackpressure;
                    earlier = null;
                }
            }
        }

        if (!attached)
        {
            socket.Dispose();
            return false;
        }

        if (earlier is not null)
        {
            earlierBackpressure?.Stop(); // a resume queued now must not register the socket this disposes
            Interlocked.Add(ref _earlierPauses, earlierBackpressure?.Pauses ?? 0);
            Interlocked.Add(ref _earlierKernelDrops, earlier.KernelReceiveDrops() ?? 0);
            if (!loop.Unregister(earlier, dispose: true))
            {
                earlier.Dispose();
            }
        }

        return true;
    }

    /// <summary>
    /// Loop thread: points the socket at the board's new address (<see cref="BoardChannelAcceptor.MoveBoardAsync"/>). The
    /// session's receive loop may be sending on it meanwhile: each datagram leaves for the old board or the new one, whole.
    /// </summary>
    public BoardFlowMove MoveTo(BoardEndPoints board)
    {
        if (Channel.Kind == TunnelChannelKind.EieioOutput)
        {
            return BoardFlowMove.LiveOutput; // its IP tag is set on the new board from a socket of its own (the acceptor's MoveTag)
        }

        lock (_gate)
        {
            if (_closed || _socket is null || board.For(Channel) is not { } target)
            {
                return BoardFlowMove.Closed;
            }

            return _socket.TryRedirect(target) ? BoardFlowMove.Redirected : BoardFlowMove.Kept;
        }
    }

    /// <summary>Stops the pacer and hands the socket back to the loop; true the first time.</summary>
    public bool TryClose(UdpEventLoop loop)
    {
        UdpSocket? socket;
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            _closed = true;
            socket = _socket;
        }

        _backpressure?.Stop(); // a resume queued now must not register the socket this disposes
        KernelDrops = (socket?.KernelReceiveDrops() ?? 0) + Interlocked.Read(ref _earlierKernelDrops);

        _pacer?.Dispose();
        if (socket is not null && !loop.Unregister(socket, dispose: true))
        {
            socket.Dispose();
        }

        return true;
    }

    public override string ToString() => $"{Channel} of session {Channel.Session.IdText[..8]}";

    internal static void Warn(LogLimiter limiter, string component, BoardFlow flow, long count) =>
        limiter.Write(LogLevel.Warning, component, (Flow: flow, Count: count), static s =>
            $"{s.Flow}: dropped {s.Count} datagram(s): the tunnel's replay buffer or the boot pacer's queue is full");
}

/// <summary>What <see cref="BoardFlow.MoveTo"/> did with a flow open when the board moved.</summary>
internal enum BoardFlowMove
{
    /// <summary>Its socket sends to the new address now.</summary>
    Redirected,

    /// <summary>Its socket cannot reach the new address (another family, bound to loopback): it keeps the old one until it closes.</summary>
    Kept,

    /// <summary>A live-output flow: its IP tag is set again on the new board, from a new socket (<see cref="BoardFlow.Attach"/>), apart from this.</summary>
    LiveOutput,

    /// <summary>Closed already, or not an SCP, boot or live-input flow.</summary>
    Closed,
}

/// <summary>A receive batch's intact datagrams, in order, for <see cref="TunnelChannel.TrySendAll{TSource}"/>.</summary>
internal struct BatchDatagrams(DatagramBatch batch) : ITunnelDatagramSource
{
    private int _next;

    public bool TryNext(out ReadOnlySpan<byte> datagram)
    {
        while (_next < batch.Count)
        {
            var index = _next++;
            if (!batch.IsTruncated(index))
            {
                datagram = batch.GetPayload(index);
                return true;
            }
        }

        datagram = default;
        return false;
    }
}
