using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Relay.Classic.Internal;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tunneling.Internal;

/// <summary>
/// The server's policy and wiring for channels a client opens, all towards its one board: SCP and boot channels get
/// their own UDP socket to the board's SCP or boot port (a boot socket paced by <see cref="BootPacer"/>); a live-input
/// channel one to the port of the board it names; a live-output channel for IP tag 0-7 a socket the tag is set to
/// point at (<see cref="OpenLiveOutput"/>). Any other kind, or a target naming another address or port than the
/// board's, is refused (the client gets CLOSE ChannelRejected; counted and logged). The board may move to another
/// address while channels are open (<see cref="MoveBoardAsync"/>, a reload): the channels follow it, live output included.
/// </summary>
internal sealed class BoardChannelAcceptor : ITunnelChannelAcceptor, IAsyncDisposable
{
    private const int IpTagCount = 8;

    /// <summary>The longest a live-output flow stops reading for a full latest queue (<see cref="BoardFlow"/>).</summary>
    private static readonly TimeSpan PauseTick = TimeSpan.FromMilliseconds(100);

    private readonly UdpEventLoop _loop;
    private readonly ITimer _pauseTick;
    private int _pauseTickArmed;

    /// <summary>Where the board is: read once per channel opened, replaced whole (under <see cref="_gate"/>) by <see cref="MoveBoardAsync"/>.</summary>
    private BoardEndPoints _board;

    private readonly TimeSpan _bootMinGap;
    private readonly UdpSocketOptions _socketOptions;
    private readonly string _component;
    private readonly Lock _gate = new();
    private readonly HashSet<BoardFlow> _flows = [];

    /// <summary>
    /// The live-output flow each IP tag points at now (under <see cref="_gate"/>): the board has one destination per
    /// tag, so a later OPEN of the tag, from any session, takes it and the earlier flow is closed with Replaced.
    /// </summary>
    private readonly BoardFlow?[] _tagHolders = new BoardFlow?[IpTagCount];

    /// <summary>What the board recorded for each held tag when it was set (under <see cref="_gate"/>, with <see cref="_tagHolders"/>).</summary>
    private readonly LiveTagClaim?[] _tagClaims = new LiveTagClaim?[IpTagCount];

    /// <summary>
    /// One per tag, held while the tag is set and its holder recorded, or read back and cleared: two sessions setting one
    /// tag cannot cross, nor can a clear and a new SET.
    /// </summary>
    private readonly Lock[] _tagLocks = [.. Enumerable.Range(0, IpTagCount).Select(_ => new Lock())];

    private readonly LiveTagCleaner _cleaner;
    private readonly LogLimiter _log = new(10, TimeSpan.FromSeconds(10));
    private readonly LogLimiter _dropLog = new(5, TimeSpan.FromSeconds(10));
    private long _opened;
    private long _refused;
    private long _tagsTakenOver;
    private long _tagsMoved;
    private long _tagMoveFailures;

    public BoardChannelAcceptor(UdpEventLoop loop, IPEndPoint scp, IPEndPoint boot, TimeSpan bootMinGap, string component)
    {
        _loop = loop;
        _board = new BoardEndPoints(scp, boot);
        _bootMinGap = bootMinGap;
        _component = component;
        _socketOptions = new UdpSocketOptions { ErrorSink = new UdpErrorLog(component) };
        _cleaner = new LiveTagCleaner(component);
        _pauseTick = TimeProvider.System.CreateTimer(
            static s => ((BoardChannelAcceptor)s!).OnPauseTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Where the board is now: where new channels go.</summary>
    public BoardEndPoints Board => Volatile.Read(ref _board);

    /// <summary>Channels accepted so far.</summary>
    public long ChannelsOpened => Interlocked.Read(ref _opened);

    /// <summary>Channels refused (kind or target not allowed, no socket).</summary>
    public long ChannelsRefused => Interlocked.Read(ref _refused);

    /// <summary>Live-output channels closed because a later OPEN took their IP tag.</summary>
    public long TagsTakenOver => Interlocked.Read(ref _tagsTakenOver);

    /// <summary>IP tags cleared on the board: of released live-output flows, and on the old board of moved ones.</summary>
    public long TagsCleared => _cleaner.Cleared;

    /// <summary>IP tags of released (or moved) live-output flows left as they were: set again since, by this server or someone else.</summary>
    public long TagsLeftAlone => _cleaner.LeftAlone;

    /// <summary>IP tags of released (or moved) live-output flows that could not be read back or cleared.</summary>
    public long TagClearFailures => _cleaner.Failed;

    /// <summary>IP tags of open live-output flows set again on the board at its new address (<see cref="MoveBoardAsync"/>).</summary>
    public long TagsMoved => Interlocked.Read(ref _tagsMoved);

    /// <summary>Open live-output flows closed because the board at its new address did not answer, or refused, their IP tag.</summary>
    public long TagMoveFailures => Interlocked.Read(ref _tagMoveFailures);

    /// <summary>Flows open now.</summary>
    public int OpenFlows
    {
        get
        {
            lock (_gate)
            {
                return _flows.Count;
            }
        }
    }

    /// <summary>Live-output flows whose IP tag is set and socket attached.</summary>
    public int LiveOutputSockets
    {
        get
        {
            lock (_gate)
            {
                return _flows.Count(f => f.Channel.Kind == TunnelChannelKind.EieioOutput && f.Socket is not null);
            }
        }
    }

    /// <summary>Times open live-output flows stopped reading for a full latest queue.</summary>
    public long LiveOutputPauses
    {
        get
        {
            lock (_gate)
            {
                return _flows.Sum(f => f.Pauses);
            }
        }
    }

    /// <summary>Boot packets handed to the board's boot port, over all flows ever opened (for tests and stats).</summary>
    public long BootPacketsSent => Interlocked.Read(ref _bootSent);

    private long _bootSent;

    public ITunnelChannelHandler? OnChannelOpening(TunnelChannel channel)
    {
        if (channel.Kind == TunnelChannelKind.EieioOutput && channel.Target.Address is null && channel.Target.Port < IpTagCount)
        {
            return OpenLiveOutput(channel, channel.Target.Port);
        }

        var board = Board;
        IPEndPoint? target = board.For(channel);
        if (target is null || !Allowed(channel.Target, target))
        {
            Interlocked.Increment(ref _refused);
            _log.Write(LogLevel.Warning, _component, channel, static c =>
                $"refused {c} of session {c.Session.IdText[..8]}: this server serves SCP, boot and live input (to a port) channels to its board, and live output from IP tags 0-7");
            return null;
        }

        UdpSocket socket;
        try
        {
            socket = new UdpSocket(UdpSockets.LocalEndPointFor(target), _socketOptions with
            {
                RemoteEndPoint = target,
                Name = $"{_component} {channel.Kind} channel {channel.Id}",
            });
        }
        catch (SocketException e)
        {
            Interlocked.Increment(ref _refused);
            _log.Write(LogLevel.Warning, _component, (Channel: channel, Error: e.SocketErrorCode), static s =>
                $"refused {s.Channel}: cannot open a socket towards the board: {s.Error}");
            return null;
        }

        var pacer = channel.Kind == TunnelChannelKind.Boot ? new BootPacer(socket, _bootMinGap, this) : null;
        var flow = new BoardFlow(this, channel, socket, pacer);
        BoardEndPoints now;
        lock (_gate)
        {
            _flows.Add(flow);
            now = _board;
        }

        if (!ReferenceEquals(now, board) && now.For(channel) is { } moved && socket.TryRedirect(moved))
        {
            target = moved; // the board moved while the socket was made, too late for the move to see this flow
        }

        if (!_loop.Register(socket, flow))
        {
            Release(flow, "the UDP loop has stopped");
            return null;
        }

        Interlocked.Increment(ref _opened);
        if (Log.IsEnabled(LogLevel.Info))
        {
            Log.Info(_component, $"session {channel.Session.IdText[..8]} opened {channel}: socket {socket.LocalEndPoint} -> board {target}");
        }

        return flow;
    }

    /// <summary>
    /// Live output of IP tag <paramref name="tag"/>: in the background, sets the tag (STRIP + USE_SENDER, as spinnman does
    /// over Spalloc) from a fresh socket, then receives on that socket's port; what the board sends there goes into the
    /// channel (latest class). If the board does not answer, the channel is closed with ChannelRejected.
    /// </summary>
    private BoardFlow OpenLiveOutput(TunnelChannel channel, int tag)
    {
        var flow = new BoardFlow(this, channel, socket: null, pacer: null);
        lock (_gate)
        {
            _flows.Add(flow);
        }

        Interlocked.Increment(ref _opened);
        _ = BoardRequests.Run(() => SetTagAndAttach(flow, tag));
        return flow;
    }

    private void SetTagAndAttach(BoardFlow flow, int tag)
    {
        BoardFlow? previous = null;
        lock (_tagLocks[tag])
        {
            // Read under the tag's lock: a move either finds this flow's tag set here and sets it again on the new board,
            // or has changed the board before this reads it.
            var board = Board.Scp;
            LiveTagClaim? claim = null;
            UdpSocket? socket = null;
            try
            {
                socket = SetTag(tag, board, out var read);
                claim = read;
                var local = socket.LocalEndPoint;
                var attached = flow.Attach(socket, _loop); // false: the channel closed meanwhile (the socket is disposed)
                socket = null;
                previous = TakeTag(tag, attached ? flow : null, claim);
                if (!attached)
                {
                    _cleaner.ClearIfOurs(claim.Value, flow, "closed while its tag was being set");
                }
                else if (Log.IsEnabled(LogLevel.Info))
                {
                    Log.Info(_component, $"session {flow.Channel.Session.IdText[..8]} opened {flow.Channel}: IP tag {tag} set (strip, use sender) to {local}" +
                        $" (the board sends to {claim})");
                }
            }
            catch (Exception e) when (e is ScpClientException or SocketException)
            {
                if (claim is { } set)
                {
                    previous = TakeTag(tag, null, null); // the board points the tag here now, whatever failed after
                    _cleaner.ClearIfOurs(set, flow, "its socket could not be used");
                }

                Interlocked.Increment(ref _refused);
                _log.Write(LogLevel.Warning, _component, (flow.Channel, Tag: tag, Board: board, e.Message), static s =>
                    $"refused {s.Channel}: cannot set IP tag {s.Tag} on board {s.Board}: {Log.Escape(s.Message)}");
                Release(flow, "IP tag not set");
                flow.Channel.Close(TunnelErrorCode.ChannelRejected);
            }
            finally
            {
                socket?.Dispose(); // set up but never handed to the flow
            }
        }

        if (previous is not null && previous != flow)
        {
            TakeOver(previous, flow, tag);
        }
    }

    /// <summary>
    /// Sets IP tag <paramref name="tag"/> on the board at <paramref name="board"/> (STRIP + USE_SENDER) from a fresh socket
    /// and reads it back: returns the socket, which the tag now sends to. The tag is set from the very socket that then
    /// receives its output (USE_SENDER names its port, and the board records the address the request came from, NAT and
    /// all), so the port is held throughout: nobody else can bind it between the tag's setting and the loop's first read.
    /// Each request waits 1 s, 3 times at most.
    /// </summary>
    /// <exception cref="ScpClientException">The board did not answer, or refused the tag.</exception>
    /// <exception cref="SocketException">No socket towards the board.</exception>
    private UdpSocket SetTag(int tag, IPEndPoint board, out LiveTagClaim claim)
    {
        var socket = new UdpSocket(UdpSockets.LocalEndPointFor(board), _socketOptions with { Name = $"{_component} live output tag {tag}" });
        try
        {
            using var scp = new ScpClient(board, socket.Underlying) { Timeout = TimeSpan.FromSeconds(1), Attempts = 3 };
            scp.SetIpTag(tag, host: null, port: 0, strip: true, useSender: true);
            claim = LiveTagClaim.Read(scp, tag, socket.LocalEndPoint, board);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Records <paramref name="holder"/> (or nobody) as where IP tag <paramref name="tag"/> points, as the board reported
    /// it (<paramref name="claim"/>); returns the flow it pointed at.
    /// </summary>
    private BoardFlow? TakeTag(int tag, BoardFlow? holder, LiveTagClaim? claim)
    {
        lock (_gate)
        {
            var previous = _tagHolders[tag];
            _tagHolders[tag] = holder;
            _tagClaims[tag] = holder is null ? null : claim;
            return previous;
        }
    }

    /// <summary>
    /// IP tag <paramref name="tag"/> now points at <paramref name="taker"/>: the flow it pointed at gets nothing more
    /// from the board, so it is closed (CLOSE Replaced: its client warns that its live output stopped and why) and
    /// both sessions are named in a warning, instead of the earlier visualisers falling silent unexplained.
    /// </summary>
    private void TakeOver(BoardFlow previous, BoardFlow taker, int tag)
    {
        Interlocked.Increment(ref _tagsTakenOver);
        var earlier = previous.Channel.Session == taker.Channel.Session ? "this session's own" : $"session {previous.Channel.Session.IdText[..8]}'s";
        Log.Warn(_component, $"IP tag {tag} moved to session {taker.Channel.Session.IdText[..8]}'s {taker.Channel}: {earlier} {previous.Channel} " +
            "gets no more of the board's output and is closed (the board has one destination per tag)");
        Release(previous, $"IP tag {tag} taken by session {taker.Channel.Session.IdText[..8]}");
        previous.Channel.Close(TunnelErrorCode.Replaced);
    }

    /// <summary>
    /// The board is at <paramref name="next"/> from now on (a reload resolved its name to another address): channels opened
    /// from now on go there. Of the channels open now, SCP, boot and live-input ones are redirected on the UDP loop where
    /// their socket can reach the new address (same family; <see cref="UdpSocket.TryRedirect"/>), and keep the old one
    /// until they close where it cannot. Live-output ones have their IP tags set on the new board, as opening them does,
    /// and cleared on the old one (<see cref="MoveTag"/>); one whose tag the new board does not take is closed. Returns once
    /// every tag is set or given up (3 s at most per tag, the tags in parallel); the old board's tags are cleared after.
    /// </summary>
    public async Task<TunnelBoardMove> MoveBoardAsync(BoardEndPoints next)
    {
        ArgumentNullException.ThrowIfNull(next);
        BoardEndPoints was;
        BoardFlow[] open;
        lock (_gate)
        {
            was = _board;
            Volatile.Write(ref _board, next);
            open = [.. _flows];
        }

        // Every tag, not only those held now: a tag being set meanwhile holds its lock, and is moved once it is set.
        // Plain tasks and counters, not Task<LiveTagMove>: each generic instantiation over a value type costs AOT binary size.
        int moved = 0, failed = 0;
        var tags = new Task[IpTagCount];
        for (var tag = 0; tag < IpTagCount; tag++)
        {
            var t = tag;
            tags[tag] = BoardRequests.Run(() =>
            {
                switch (MoveTag(t, next.Scp))
                {
                    case LiveTagMove.Moved:
                        Interlocked.Increment(ref moved);
                        break;
                    case LiveTagMove.Failed:
                        Interlocked.Increment(ref failed);
                        break;
                }
            });
        }

        int redirected = 0, kept = 0;
        await _loop.InvokeAsync(() =>
        {
            foreach (var flow in open)
            {
                switch (flow.MoveTo(next))
                {
                    case BoardFlowMove.Redirected:
                        redirected++;
                        break;
                    case BoardFlowMove.Kept:
                        kept++;
                        break;
                }
            }
        }).ConfigureAwait(false);

        await Task.WhenAll(tags).ConfigureAwait(false);
        return new TunnelBoardMove(was.Scp.Address, next.Scp.Address, redirected, kept, moved, failed);
    }

    /// <summary>
    /// Sets IP tag <paramref name="tag"/>, if a live-output flow holds it on another board, on the board at
    /// <paramref name="board"/> towards a fresh socket, exactly as opening the flow did (<see cref="SetTag"/>), and gives
    /// that socket to the flow (<see cref="BoardFlow.Attach"/>): the flow's client and its visualisers see the same channel,
    /// now fed by the new board. A fresh socket because the flow's socket is being read by the loop (the SET's reply would
    /// go into the channel), and may be bound to loopback or another family than the new address; it is unconnected, so
    /// it takes the new board's datagrams. The old board's tag is then cleared as a released flow's is (read back first,
    /// left alone if someone else has set it since), in the background. When the new board does not answer or refuses the
    /// tag, the flow is closed with ChannelRejected (its client says the tag could not be set) and released, which clears
    /// the old board's tag. Holds the tag's lock: no OPEN of the tag, nor the clear of a released holder, crosses it.
    /// </summary>
    private LiveTagMove MoveTag(int tag, IPEndPoint board)
    {
        lock (_tagLocks[tag])
        {
            BoardFlow? holder;
            LiveTagClaim? held;
            lock (_gate)
            {
                holder = _tagHolders[tag];
                held = _tagClaims[tag];
            }

            if (holder is null || held is not { } was || was.Board.Equals(board))
            {
                return LiveTagMove.None;
            }

            UdpSocket socket;
            LiveTagClaim claim;
            try
            {
                socket = SetTag(tag, board, out claim);
            }
            catch (Exception e) when (e is ScpClientException or SocketException)
            {
                Interlocked.Increment(ref _tagMoveFailures);
                Log.Warn(_component, $"IP tag {tag} of {holder} not set on the board at its new address {board}: {Log.Escape(e.Message)}; " +
                    $"the channel is closed (its client is told the tag could not be set) and the tag cleared on the board at {was.Board}");
                Release(holder, $"IP tag {tag} not set on the board at its new address {board}");
                holder.Channel.Close(TunnelErrorCode.ChannelRejected);
                return LiveTagMove.Failed;
            }

            var local = socket.LocalEndPoint;
            if (!holder.Attach(socket, _loop)) // the flow closed meanwhile (the socket is disposed): its release clears the old tag
            {
                _cleaner.ClearIfOurs(claim, holder, "closed while its tag was being moved to the board's new address");
                return LiveTagMove.None;
            }

            bool still;
            lock (_gate)
            {
                still = _tagHolders[tag] == holder;
                if (still)
                {
                    _tagClaims[tag] = claim;
                }
            }

            if (!still) // released after Attach: the release took the old board's claim, so the new board's is this one's to clear
            {
                _cleaner.ClearIfOurs(claim, holder, "released while its tag was being moved to the board's new address");
                return LiveTagMove.None;
            }

            Interlocked.Increment(ref _tagsMoved);
            if (Log.IsEnabled(LogLevel.Info))
            {
                Log.Info(_component, $"IP tag {tag} of {holder} moved to the board's new address: set (strip, use sender) on {board} to {local}" +
                    $" (the board sends to {claim}); clearing it on {was.Board}");
            }

            _cleaner.Start(() => ClearMovedTag(was, holder));
            return LiveTagMove.Moved;
        }
    }

    /// <summary>
    /// Clears on the old board (thread pool) the tag a moved flow had there, if it still points at the flow's earlier
    /// socket. Under the tag's lock: a move back to that board cannot set the tag between the read-back and the clear.
    /// </summary>
    private void ClearMovedTag(LiveTagClaim was, BoardFlow flow)
    {
        lock (_tagLocks[was.Tag])
        {
            _cleaner.ClearIfOurs(was, flow, "it was set on the board's new address");
        }
    }

    public async ValueTask DisposeAsync()
    {
        BoardFlow[] flows;
        lock (_gate)
        {
            flows = [.. _flows];
        }

        foreach (var flow in flows)
        {
            Release(flow, "server shutting down");
        }

        await _cleaner.WaitAsync().ConfigureAwait(false); // the tags of the flows just released, and of those closed before
        await _pauseTick.DisposeAsync().ConfigureAwait(false);
    }

    internal void Release(BoardFlow flow, string why)
    {
        LiveTagClaim? claim = null;
        lock (_gate)
        {
            _flows.Remove(flow);
            var held = Array.IndexOf(_tagHolders, flow);
            if (held >= 0)
            {
                _tagHolders[held] = null;
                claim = _tagClaims[held];
                _tagClaims[held] = null;
            }
        }

        if (claim is { } released)
        {
            _cleaner.Start(() => ClearReleasedTag(released, flow, why));
        }

        if (flow.TryClose(_loop) && Log.IsEnabled(LogLevel.Info))
        {
            var paused = flow.Pauses == 0 && flow.KernelDrops == 0 ? ""
                : $", reading paused {flow.Pauses} times for a full tunnel, {flow.KernelDrops} dropped by the kernel meanwhile or when it fell behind";
            Log.Info(_component, $"closed {flow}: {why} (to board {flow.PacketsUp} pkts, from board {flow.PacketsDown} pkts, dropped {flow.Dropped}{paused})");
        }
    }

    /// <summary>
    /// Clears a released flow's tag (thread pool), unless this server has set the tag again meanwhile: then the board
    /// points at the new holder, whatever port it got.
    /// </summary>
    private void ClearReleasedTag(LiveTagClaim claim, BoardFlow flow, string why)
    {
        lock (_tagLocks[claim.Tag])
        {
            BoardFlow? holder;
            lock (_gate)
            {
                holder = _tagHolders[claim.Tag];
            }

            if (holder is null)
            {
                _cleaner.ClearIfOurs(claim, flow, why);
            }
            else
            {
                _cleaner.LeaveAlone(claim, flow, why, $"this server has set it again for {holder}");
            }
        }
    }

    /// <summary>A live-output flow stopped reading (UDP loop): a tick within <see cref="PauseTick"/> ends the pause at the latest.</summary>
    internal void Paused()
    {
        if (Interlocked.Exchange(ref _pauseTickArmed, 1) == 0)
        {
            _pauseTick.Change(PauseTick, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnPauseTick()
    {
        Volatile.Write(ref _pauseTickArmed, 0);
        lock (_gate)
        {
            foreach (var flow in _flows)
            {
                flow.Tick();
            }
        }
    }

    internal void CountBootSent() => Interlocked.Increment(ref _bootSent);

    internal void LogDropped(BoardFlow flow, long count) => BoardFlow.Warn(_dropLog, _component, flow, count);

    /// <summary>The client may name the default, or exactly the port (and address) this server would use.</summary>
    private static bool Allowed(TunnelTarget requested, IPEndPoint target) =>
        (requested.Port == 0 || requested.Port == target.Port) && (requested.Address is null || requested.Address.Equals(target.Address));
}

/// <summary>What moving the board did with one IP tag (<see cref="BoardChannelAcceptor.MoveBoardAsync"/>).</summary>
internal enum LiveTagMove
{
    /// <summary>No live-output flow held the tag on another board (or it closed meanwhile).</summary>
    None,

    /// <summary>Set on the new board towards the flow's new socket; the old board's is being cleared.</summary>
    Moved,

    /// <summary>The new board did not answer or refused: the flow was closed.</summary>
    Failed,
}
