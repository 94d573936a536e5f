using System.Diagnostics;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel.Legacy;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>
/// The client's TCP mode (<c>-T</c> for SCP, <c>-t</c> for boot): local applications send UDP to the listening
/// socket, and each application gets its own TCP connection to the server, so the server's replies on that
/// connection belong to that application alone. Connections come back with back-off after any failure.
/// </summary>
/// <remarks>
/// <para>
/// Threading: the UDP side runs on the loop, which only appends frames to a flow's outbox and wakes its writer once
/// per batch; it never waits for TCP. Each flow's connection runs on the thread pool and sends the server's
/// datagrams straight to the application through the listening socket (one sendto each, no hand-off).
/// </para>
/// <para>
/// At start-up it connects once (as the original does) so an unreachable server is one clear error; that
/// connection is kept for the first application. With a Python server (backlog 1, a new connection closes the
/// previous one) only one application at a time can work, as with the original client.
/// </para>
/// </remarks>
internal sealed class UdpToStreamRoute : UdpPeerRoute<UdpToStreamRoute.Flow>
{
    private readonly LegacyStreamOptions _streamOptions;
    private readonly StreamFlushes _flushes;
    private readonly ListenerBackpressure _backpressure;
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _running = [];
    private readonly LogLimiter _connectionLog = new(10, TimeSpan.FromSeconds(10));
    private Socket? _spare;

    /// <summary>Where <see cref="_spare"/> is connected: the target at start.</summary>
    private System.Net.IPEndPoint? _spareTarget;

    public UdpToStreamRoute(RouteSettings settings, UdpEventLoop loop, UdpSocketOptions listenOptions, LegacyStreamOptions streamOptions)
        : base(settings, loop, listenOptions)
    {
        _streamOptions = streamOptions;
        _flushes = new StreamFlushes(loop);
        _backpressure = new ListenerBackpressure(loop, Listener, this);
    }

    /// <summary>Times the listener stopped being read because the only flow's outbox was full (for tests and logs).</summary>
    internal override long ListenerPauses => _backpressure.Pauses;

    public override ClassicTransport TargetTransport => ClassicTransport.Tcp;

    /// <summary>Connects to the server once; failure is one clear line and <see cref="ExitCode.Network"/>.</summary>
    public override async Task PrepareAsync(CancellationToken cancellationToken)
    {
        try
        {
            _spareTarget = Settings.Target;
            _spare = await LegacyStreamSockets.ConnectAsync(_spareTarget, _streamOptions.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new RelayToolException(ExitCode.Network,
                $"cannot connect to the {Settings.TargetLabel} for {Name} over TCP: {e.Message} (is the server running with -{(Name == "boot" ? "t" : "T")}?)");
        }
    }

    /// <summary>
    /// The connection made at start, for the first application; null once taken, or when the target has moved since
    /// (a reload): it leads to the old address, so it is closed, unused, and the application connects to the new one.
    /// </summary>
    private Socket? TakeSpare()
    {
        var spare = Interlocked.Exchange(ref _spare, null);
        if (spare is not null && !Settings.Target.Equals(_spareTarget))
        {
            spare.Dispose();
            return null;
        }

        return spare;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync().ConfigureAwait(false);
        Interlocked.Exchange(ref _spare, null)?.Dispose();
    }

    protected override Flow? OpenFlow(in UdpAddress peer, int number)
    {
        var flow = new Flow(this, peer, number);
        var outbox = new FrameOutbox(Settings.OutboxBytes) { RoomObserver = flow };
        var client = new LegacyStreamClient(Settings.Target, outbox, flow, _streamOptions, flow, TakeSpare());
        flow.Client = client;
        var task = Task.Run(client.RunAsync);
        lock (_gate)
        {
            _running.Add(task);
        }

        task.ContinueWith(Forget, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return flow;
    }

    /// <summary>
    /// Frames the run into the flow's outbox under one hold of its lock; the loop writes them at the end of the
    /// iteration, or at once when half the outbox is waiting (<see cref="StreamFlushes"/>).
    /// </summary>
    protected override int Forward(Flow flow, DatagramBatch batch, int start, int end, out int queued, out long bytes)
    {
        queued = 0;
        bytes = 0;
        int pending;
        using (var appender = flow.Outbox.BeginAppend())
        {
            for (var i = start; i < end; i++)
            {
                var payload = batch.GetPayload(i);
                if (appender.TryEnqueue(payload)) // a refusal is counted by the outbox, collected on the next tick
                {
                    queued++;
                    bytes += payload.Length;
                }
            }

            pending = appender.PendingBytes;
        }

        if (queued != 0)
        {
            _flushes.Appended(flow, pending);
        }

        if (queued < end - start && FlowCount == 1)
        {
            _backpressure.Refused(); // the stream is behind: let the kernel drop the excess, not us
        }

        return end;
    }

    protected override void OnFlowTick(Flow flow)
    {
        flow.Watch.Collect(flow.Client.Outbox, Counters);
        flow.Client.CloseIfStalled(Stopwatch.GetTimestamp());
        _backpressure.Room(); // a pause lasts a tick at most
    }

    /// <summary>The flow's next connection goes to <paramref name="target"/>; the one up now is kept (closing it could end a Python client's job).</summary>
    protected override FlowMove Move(Flow flow, System.Net.IPEndPoint target)
    {
        flow.Client.MoveServer(target);
        return FlowMove.NextConnection;
    }

    protected override void CloseFlow(Flow flow)
    {
        flow.Client.Close();
        flow.Watch.Collect(flow.Client.Outbox, Counters);
        _backpressure.Room();
    }

    protected override async Task WhenFlowsClosedAsync()
    {
        Task[] running;
        lock (_gate)
        {
            running = [.. _running];
        }

        try
        {
            await Task.WhenAll(running).WaitAsync(ClassicProxyHost.ShutdownWait).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.Warn(Component, $"{running.Count(t => !t.IsCompleted)} TCP connection(s) did not finish within {ClassicProxyHost.ShutdownWait.TotalSeconds:0} s of shutdown");
        }
    }

    private static void Forget(Task task, object? state)
    {
        var route = (UdpToStreamRoute)state!;
        lock (route._gate)
        {
            route._running.Remove(task);
        }
    }

    /// <summary>One application and its own reconnecting TCP connection to the server.</summary>
    internal sealed class Flow(UdpToStreamRoute route, UdpAddress peer, int number)
        : PeerFlow(peer, number), ILegacyFrameHandler, ILegacyStreamClientObserver, IStreamFlow, IFrameOutboxRoomObserver
    {
        /// <summary>What the outbox counted that the route has already taken in.</summary>
        public LossWatch Watch;

        public LegacyStreamClient Client { get; set; } = null!;

        public FrameOutbox Outbox => Client.Outbox;

        public bool FlushScheduled { get; set; }

        public void FlushOrWake() => Client.FlushOrWake();

        /// <summary>The writer took the frames that filled the outbox: read the listener again.</summary>
        public void OnRoom(FrameOutbox outbox) => route._backpressure.Room();

        /// <summary>
        /// Frames of the current read on their way to the application (receive task only); a run of same-sized
        /// replies shares a slot and leaves as one UDP GSO packet while the listener segments its sends.
        /// </summary>
        private readonly UdpSendBatch _downBatch = new(packRuns: route.Listener.SendsSegmented);

        /// <summary>
        /// Server → application, on the connection's receive task, through the listener: the frames of one read leave
        /// in one sendmmsg (<see cref="OnFramesEnd"/>); a frame too long for a slot goes alone, in order.
        /// </summary>
        public void OnFrame(ReadOnlySpan<byte> datagram)
        {
            if (_downBatch.TryAdd(datagram, Peer))
            {
                return;
            }

            OnFramesEnd();
            if (_downBatch.TryAdd(datagram, Peer))
            {
                return;
            }

            var sent = route.Listener.SendTo(datagram, Peer) == UdpStatus.Ok;
            CountDown(sent ? 1 : 0, datagram.Length);
        }

        public void OnFramesEnd()
        {
            if (!_downBatch.IsEmpty)
            {
                var sent = route.Listener.SendBatch(_downBatch, out var bytes);
                CountDown(sent, bytes);
            }
        }

        private void CountDown(int packets, long bytes)
        {
            if (packets != 0)
            {
                AddDown(packets);
                route.Counters.AddDown(packets, bytes);
            }

            LastActive = Stopwatch.GetTimestamp();
        }

        public void OnConnected(LegacyStreamClient client, bool isReconnect)
        {
            if (isReconnect)
            {
                route.Counters.Reconnected();
            }

            if (Log.IsEnabled(LogLevel.Info))
            {
                Log.Info(route.Component, $"{(isReconnect ? "reconnected" : "connected")} to {route.Settings.TargetLabel} over TCP " +
                    $"for application {Peer} (flow #{Number})");
            }
        }

        public void OnDisconnected(LegacyStreamClient client, StreamClose close, TimeSpan retryIn)
        {
            if (close.Reason is StreamCloseReason.FrameTooLarge or StreamCloseReason.PeerClosedMidFrame)
            {
                route.Counters.AddMalformed(1);
            }

            route._connectionLog.Write(LogLevel.Warning, route.Component, (Flow: this, Close: close, Retry: retryIn, Client: client), static s =>
                $"lost the TCP connection to {LostFrom(s.Client, s.Flow.Route.Settings.TargetLabel)} for application {s.Flow.Peer} (flow #{s.Flow.Number}): " +
                $"{s.Close.Description}; reconnecting in {FormatDuration(s.Retry)}{(Moved(s.Client) ? $" to {s.Flow.Route.Settings.TargetLabel}" : "")}");
        }

        public void OnConnectFailed(LegacyStreamClient client, SocketError error, TimeSpan retryIn) =>
            route._connectionLog.Write(LogLevel.Warning, route.Component, (Flow: this, Error: error, Retry: retryIn), static s =>
                $"cannot connect to {s.Flow.Route.Settings.TargetLabel} for application {s.Flow.Peer} (flow #{s.Flow.Number}): " +
                $"{s.Error}; retrying in {FormatDuration(s.Retry)}");

        private UdpToStreamRoute Route => route;

        /// <summary>True when the connection that ended went to an address the server has since moved from (a reload).</summary>
        private static bool Moved(LegacyStreamClient client) => client.ConnectedTo is { } to && !to.Equals(client.Server);

        /// <summary>The target's label, or where the connection went when the target has moved since (a reload).</summary>
        private static string LostFrom(LegacyStreamClient client, string label) =>
            Moved(client) ? $"{client.ConnectedTo} (the address before the last reload)" : label;
    }
}
