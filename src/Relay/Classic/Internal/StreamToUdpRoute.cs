using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel.Legacy;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>
/// The server's TCP mode (<c>-T</c> for SCP, <c>-t</c> for boot): a TCP listener whose every accepted connection
/// is a flow with its own UDP socket towards the board. Frames from the connection leave on that socket (paced
/// for boot); datagrams the board sends back to it are framed onto that connection. Several clients therefore
/// work at once; the original closed the previous connection whenever a new one came.
/// </summary>
/// <remarks>
/// Threading: accepting runs on its own task; each connection's receive and send loops on the thread pool; the
/// board side of every flow on the UDP loop, which only appends to the connection's outbox and wakes its writer
/// once per batch, so it never waits for TCP. Connections are not closed for idleness (a Python client dies
/// when its connection closes); TCP keep-alive and the write timeout find dead peers. A move of the target (a reload)
/// re-points each connection's UDP socket on the loop thread while the connection's receive task may be sending on it.
/// </remarks>
internal sealed class StreamToUdpRoute : IHostedRoute, IUdpTickHandler
{
    private const int Backlog = 64;

    private readonly UdpEventLoop _loop;
    private readonly Socket _listener;
    private readonly LegacyStreamOptions _streamOptions;
    private readonly UdpSocketOptions _flowOptions;
    private readonly Lock _gate = new();
    private readonly HashSet<Connection> _connections = [];
    private readonly List<Connection> _tickList = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly LogLimiter _admissionLog = new(5, TimeSpan.FromSeconds(10));
    private readonly LogLimiter _closeLog = new(10, TimeSpan.FromSeconds(10));
    private readonly LogLimiter _flowLog = new(5, TimeSpan.FromSeconds(10));
    private readonly StreamFlushes _flushes;
    private Task _acceptLoop = Task.CompletedTask;
    private int _flowNumber;
    private RouteSettings _settings;

    public StreamToUdpRoute(RouteSettings settings, UdpEventLoop loop, LegacyStreamOptions streamOptions, UdpSocketOptions flowOptions)
    {
        _settings = settings;
        _loop = loop;
        _streamOptions = streamOptions;
        _flowOptions = flowOptions;
        _flushes = new StreamFlushes(loop);
        _listener = LegacyStreamSockets.Listen(settings.Listen, Backlog);
        ListenEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public string Name => Settings.Name;

    public ClassicTransport ListenTransport => ClassicTransport.Tcp;

    public ClassicTransport TargetTransport => ClassicTransport.Udp;

    public IPEndPoint ListenEndPoint { get; }

    public IPEndPoint TargetEndPoint => Settings.Target;

    /// <summary>The settings, with the target as last moved (<see cref="MoveTargetAsync"/>).</summary>
    internal RouteSettings Settings => Volatile.Read(ref _settings);

    internal RouteCounterSet Counters { get; } = new();

    private string Component => Settings.Component;

    public RouteCounters GetCounters() => Counters.Snapshot();

    public Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Start()
    {
        if (!_loop.AddTickHandler(this))
        {
            throw new InvalidOperationException("The UDP loop has stopped.");
        }

        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public void OnTick(UdpEventLoop loop, long timestamp)
    {
        lock (_gate)
        {
            _tickList.AddRange(_connections);
        }

        foreach (var connection in _tickList)
        {
            connection.Watch.Collect(connection.Upstream, Counters, _flowLog, Settings, connection);
            connection.Watch.Collect(connection.Outbox, Counters);
            connection.Stream.CloseIfStalled(timestamp);
        }

        _tickList.Clear();
    }

    /// <summary>
    /// Connections accepted from now on get a socket towards <paramref name="target"/>; the sockets of open ones are
    /// re-pointed at it on the loop thread, and those that cannot reach it keep the old address until their connection
    /// closes (closing it would end a Python client).
    /// </summary>
    public async Task<RouteMove> MoveTargetAsync(IPEndPoint target, string label)
    {
        Connection[] open;
        lock (_gate)
        {
            Volatile.Write(ref _settings, _settings with { Target = target, TargetLabel = label });
            open = [.. _connections];
        }

        int redirected = 0, kept = 0;
        await _loop.InvokeAsync(() =>
        {
            foreach (var connection in open)
            {
                if (connection.Upstream.TryRedirect(target))
                {
                    redirected++;
                }
                else if (!connection.Upstream.IsDisposed)
                {
                    kept++;
                }
            }
        }).ConfigureAwait(false);
        return new RouteMove(redirected, 0, kept, 0);
    }

    /// <summary>Stops accepting, closes every connection and waits (bounded) for them to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);

        Task[] running;
        lock (_gate)
        {
            running = [.. _connections.Select(c => c.Finished)];
            foreach (var connection in _connections)
            {
                connection.Stream.Close();
            }
        }

        try
        {
            await Task.WhenAll(running).WaitAsync(ClassicProxyHost.ShutdownWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.Warn(Component, $"{running.Count(t => !t.IsCompleted)} TCP connection(s) did not finish within {ClassicProxyHost.ShutdownWait.TotalSeconds:0} s of shutdown");
        }

        _stopping.Dispose();
    }

    public override string ToString() =>
        $"{Name}: listening on TCP {ListenEndPoint}, forwarding over UDP to {Settings.TargetLabel}" +
        (_streamOptions.MinFrameGap > TimeSpan.Zero ? $", at least {UdpToUdpRoute.FormatDuration(_streamOptions.MinFrameGap)} apart" : "");

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }

                // Out of descriptors or buffers: back off so the loop cannot spin. Anything else (a connection
                // reset before it was accepted) is transient.
                _admissionLog.Write(LogLevel.Warning, Component, e.SocketErrorCode, static error => $"accepting a TCP connection failed: {error}");
                if (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                {
                    await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
                }

                continue;
            }

            Admit(socket);
        }
    }

    private void Admit(Socket socket)
    {
        if (socket.RemoteEndPoint is not IPEndPoint remote)
        {
            socket.Dispose();
            return;
        }

        if (!Settings.Allow.Allows(remote.Address))
        {
            Counters.AddDenied(1);
            _admissionLog.Write(LogLevel.Warning, Component, (Peer: remote, Allow: Settings.Allow), static s =>
                $"denied TCP connection from {s.Peer}: not in --allow ({s.Allow.Description})");
            socket.Dispose();
            return;
        }

        int inUse;
        lock (_gate)
        {
            inUse = _connections.Count;
        }

        if (inUse >= Settings.MaxFlows)
        {
            Counters.AddRefused(1);
            _admissionLog.Write(LogLevel.Warning, Component, (Peer: remote, Max: Settings.MaxFlows), static s =>
                $"refused TCP connection from {s.Peer}: all {s.Max} flows in use (--max-flows)");
            socket.Dispose();
            return;
        }

        LegacyStreamSockets.Configure(socket);
        var number = ++_flowNumber;
        var settings = Settings;
        UdpSocket upstream;
        try
        {
            upstream = new UdpSocket(UdpSockets.LocalEndPointFor(settings.Target), _flowOptions with { RemoteEndPoint = settings.Target, Name = $"{Component} flow #{number}" });
        }
        catch (SocketException e)
        {
            Counters.AddRefused(1);
            _admissionLog.Write(LogLevel.Warning, Component, (Peer: remote, Error: e.SocketErrorCode, Target: Settings.TargetLabel), static s =>
                $"refused TCP connection from {s.Peer}: cannot open a socket towards {s.Target}: {s.Error}");
            socket.Dispose();
            return;
        }

        var connection = new Connection(this, remote, number, socket, upstream);
        RouteSettings now;
        lock (_gate)
        {
            _connections.Add(connection);
            inUse = _connections.Count;
            now = _settings;
        }

        if (!ReferenceEquals(now, settings))
        {
            upstream.TryRedirect(now.Target); // the target moved while the socket was made, too late for the move to see it (not registered yet)
        }

        Counters.FlowOpened();
        if (Log.IsEnabled(LogLevel.Info))
        {
            Log.Info(Component, $"new TCP connection from {remote} (flow #{number}, {inUse}/{Settings.MaxFlows} in use) -> {Settings.TargetLabel}");
        }

        connection.Finished = Task.Run(() => RunAsync(connection));
    }

    private async Task RunAsync(Connection connection)
    {
        StreamClose close;
        if (_loop.Register(connection.Upstream, connection))
        {
            close = await connection.Stream.RunAsync().ConfigureAwait(false);
        }
        else
        {
            connection.Stream.Close();
            close = new StreamClose(StreamCloseReason.ClosedLocally, 0, default, "the relay is shutting down");
        }

        connection.Outbox.Close();
        if (!_loop.Unregister(connection.Upstream, dispose: true))
        {
            connection.Upstream.Dispose();
        }

        connection.Watch.Collect(connection.Upstream, Counters, _flowLog, Settings, connection);
        connection.Watch.Collect(connection.Outbox, Counters);
        int inUse;
        lock (_gate)
        {
            _connections.Remove(connection);
            inUse = _connections.Count;
        }

        Counters.FlowClosed();
        LogClose(connection, close, inUse);
    }

    private void LogClose(Connection connection, StreamClose close, int inUse)
    {
        if (close.Reason is StreamCloseReason.FrameTooLarge or StreamCloseReason.PeerClosedMidFrame)
        {
            Counters.AddMalformed(1);
        }

        var state = (Connection: connection, Close: close, InUse: inUse);
        if (close.IsOrderly)
        {
            if (Log.IsEnabled(LogLevel.Info))
            {
                Log.Info(Component, Describe(state));
            }
        }
        else if (close.Reason == StreamCloseReason.Fault)
        {
            Log.Error(Component, $"{Describe(state)}: {connection.Stream.Fault}");
        }
        else
        {
            _closeLog.Write(LogLevel.Warning, Component, state, Describe);
        }
    }

    private static string Describe((Connection Connection, StreamClose Close, int InUse) s) =>
        $"{(s.Close.IsOrderly ? "closed" : "dropped")} TCP connection from {s.Connection.Remote} (flow #{s.Connection.Number}): " +
        $"{s.Close.Description}{(s.Close.Reason == StreamCloseReason.FrameTooLarge ? " (--max-frame)" : "")} " +
        $"(up {s.Connection.Stream.FramesIn} frames, down {s.Connection.PacketsDown} pkts; {s.InUse} in use)";

    /// <summary>One accepted connection and its own socket towards the board.</summary>
    private sealed class Connection : PeerFlow, IUdpReceiver, ILegacyFrameHandler, IPeerReturn, IStreamFlow
    {
        private readonly StreamToUdpRoute _route;

        /// <summary>
        /// Frames of the current read on their way to the board (receive task only), where the socket has batch
        /// syscalls: recorded where they lie in the stream's receive buffer (pinned, unchanged until
        /// <see cref="OnFramesEnd"/>) and sent from there, a run of same-sized frames as one UDP GSO group whose iovecs
        /// are the frames' payloads, so the relay copies none of them.
        /// </summary>
        private readonly UdpInPlaceBatch? _upInPlace;

        /// <summary>
        /// Smaller frames, and all frames without batch syscalls: copied into slots, a run of one size packed into one
        /// slot (contiguous bytes for the kernel, where in place it would walk an iovec per datagram of a few bytes).
        /// 128 slots (256 KiB, allocated on the first frame) so a read of many frames leaves in full groups.
        /// </summary>
        private readonly UdpSendBatch _upBatch;

        /// <summary>
        /// Smallest frame sent in place (boot-sized ones are). Below it, copying into a packed slot costs less than the
        /// kernel's copy from one iovec per datagram, which pays a fixed cost per iovec: profiled at 282 B, sending in
        /// place removed the server's Memmove (2.3 % of the chain's samples) but its <c>_copy_from_iter</c> went from
        /// 5.7 % to 11.2 %; at 1042 B the kernel's copy cost the same either way and the Memmove (3.2 %) was saved.
        /// </summary>
        internal const int InPlaceMinFrameBytes = 512;

        /// <summary>What the socket and outbox counted that the route has already taken in.</summary>
        public LossWatch Watch;

        public Connection(StreamToUdpRoute route, IPEndPoint remote, int number, Socket socket, UdpSocket upstream)
            : base(UdpAddress.FromIPEndPoint(remote), number)
        {
            _route = route;
            Remote = remote;
            Upstream = upstream;
            _upBatch = new UdpSendBatch(2 * DatagramBatch.DefaultCapacity, packRuns: upstream.SendsSegmented);
            _upInPlace = upstream.UsesBatchSyscalls ? new UdpInPlaceBatch() : null;
            Outbox = new FrameOutbox(route.Settings.OutboxBytes);
            Stream = new LegacyStreamConnection(socket, Outbox, this, route._streamOptions);
        }

        public IPEndPoint Remote { get; }

        public UdpSocket Upstream { get; }

        public FrameOutbox Outbox { get; }

        public LegacyStreamConnection Stream { get; }

        public Task Finished { get; set; } = Task.CompletedTask;

        public bool FlushScheduled { get; set; }

        /// <summary>Board → client, on the loop thread: frame each datagram into the outbox; the loop writes them at the end of the iteration.</summary>
        public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
        {
            ReturnPath.Forward(this, batch, _route.Counters);
            _route._flushes.Appended(this, Outbox.PendingBytes);
        }

        public void FlushOrWake() => Stream.FlushOrWake();

        public bool TryReturn(ReadOnlySpan<byte> datagram) => Outbox.TryEnqueue(datagram);

        /// <summary>
        /// Client → board, on the connection's receive task: one datagram per frame, queued so that the frames of one
        /// read leave in one sendmmsg (<see cref="OnFramesEnd"/>); a frame too long for a slot goes alone, in order.
        /// </summary>
        public void OnFrame(ReadOnlySpan<byte> datagram)
        {
            if (_upInPlace is { } inPlace && datagram.Length >= InPlaceMinFrameBytes)
            {
                if (!_upBatch.IsEmpty || !inPlace.TryAdd(datagram))
                {
                    OnFramesEnd(); // what waits goes first, in order
                    inPlace.TryAdd(datagram);
                }

                return;
            }

            if (_upInPlace is { IsEmpty: false })
            {
                OnFramesEnd();
            }

            if (_upBatch.TryAdd(datagram))
            {
                return;
            }

            OnFramesEnd();
            if (_upBatch.TryAdd(datagram))
            {
                return;
            }

            if (Upstream.Send(datagram) == UdpStatus.Ok)
            {
                CountUp(1, datagram.Length);
            }
        }

        public void OnFramesEnd()
        {
            if (_upInPlace is { IsEmpty: false } inPlace)
            {
                var sent = Upstream.SendInPlace(inPlace, out var bytes);
                CountUp(sent, bytes);
            }

            if (!_upBatch.IsEmpty)
            {
                var sent = Upstream.SendBatch(_upBatch, out var bytes);
                CountUp(sent, bytes);
            }
        }

        private void CountUp(int packets, long bytes)
        {
            if (packets != 0)
            {
                AddUp(packets);
                _route.Counters.AddUp(packets, bytes);
            }
        }
    }
}
