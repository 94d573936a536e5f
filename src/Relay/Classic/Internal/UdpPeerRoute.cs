using System.Diagnostics;
using System.Globalization;
using System.Net;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>
/// A route whose listening side is a UDP socket: every peer address that sends to it gets its own flow (after
/// the <c>--allow</c> check and the <c>--max-flows</c> cap), kept until it has been idle for the configured time.
/// Subclasses say what a flow is and how a datagram travels through it.
/// </summary>
/// <remarks>
/// Threading: <see cref="OnDatagrams"/>, <see cref="OnTick"/>, <see cref="MoveTargetAsync"/>'s work and the flow table
/// belong to the loop thread.
/// <see cref="DisposeAsync"/> runs after the loop has stopped. No allocation per datagram: the flow lookup keys
/// on <see cref="UdpAddress"/> and counters are added once per batch.
/// </remarks>
internal abstract class UdpPeerRoute<TFlow> : IUdpReceiver, IUdpTickHandler, IHostedRoute
    where TFlow : PeerFlow
{
    private const int DeniedPeersRemembered = 1024;

    private readonly Dictionary<UdpAddress, TFlow> _flows = [];
    private readonly HashSet<UdpAddress> _deniedLogged = [];
    private readonly LogLimiter _admissionLog = new(5, TimeSpan.FromSeconds(10));
    private readonly LogLimiter _malformedLog = new(5, TimeSpan.FromSeconds(10));
    private readonly LogLimiter _kernelDropLog = new(5, TimeSpan.FromSeconds(10));
    private readonly long _idleTicks;
    private long _listenerLossSeen;
    private long _kernelDropsSeen;
    private long _pausesSeen;
    private int _flowNumber;
    private RouteSettings _settings;

    protected UdpPeerRoute(RouteSettings settings, UdpEventLoop loop, UdpSocketOptions listenOptions)
    {
        _settings = settings;
        Loop = loop;
        Listener = new UdpSocket(settings.Listen, listenOptions with
        {
            Name = $"{settings.Component} listener",
            DualMode = settings.Listen.Address.Equals(IPAddress.IPv6Any),
        });
        ListenEndPoint = Listener.LocalEndPoint;
        _idleTicks = (long)(settings.IdleTimeout.TotalSeconds * Stopwatch.Frequency);
    }

    public string Name => Settings.Name;

    public ClassicTransport ListenTransport => ClassicTransport.Udp;

    public abstract ClassicTransport TargetTransport { get; }

    public IPEndPoint ListenEndPoint { get; }

    public IPEndPoint TargetEndPoint => Settings.Target;

    /// <summary>The settings, with the target as last moved (<see cref="MoveTargetAsync"/>).</summary>
    internal RouteSettings Settings => Volatile.Read(ref _settings);

    internal RouteCounterSet Counters { get; } = new();

    protected UdpEventLoop Loop { get; }

    /// <summary>The listening socket; replies to peers leave through it.</summary>
    protected UdpSocket Listener { get; }

    protected string Component => Settings.Component;

    /// <summary>Flows open now (loop thread).</summary>
    protected int FlowCount => _flows.Count;

    /// <summary>Times the listener stopped being read on purpose (back-pressure from a full stream); 0 for routes that never pause it.</summary>
    internal virtual long ListenerPauses => 0;

    /// <summary>Why the listener is paused, for the kernel-drop warning ("while reading paused ... {reason}").</summary>
    protected virtual string PauseReason => "for the full stream to the server";

    public RouteCounters GetCounters() => Counters.Snapshot();

    public virtual Task PrepareAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Registers the listener and the idle-expiry tick with the loop.</summary>
    public void Start()
    {
        if (!Loop.Register(Listener, this) || !Loop.AddTickHandler(this))
        {
            throw new InvalidOperationException("The UDP loop has stopped.");
        }
    }

    /// <summary>
    /// Forwards a batch run by run: consecutive whole datagrams from one peer (a coalesced train is one sender's) cost
    /// one flow lookup and one <see cref="Forward"/> call between them.
    /// </summary>
    public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
    {
        var now = Stopwatch.GetTimestamp();
        long packets = 0, bytes = 0, malformed = 0, denied = 0, refused = 0;
        var count = batch.Count;
        var start = 0;
        while (start < count)
        {
            ref readonly var source = ref batch.GetSource(start);
            if (batch.IsTruncated(start))
            {
                malformed++;
                LogTruncated(source, batch.SlotSize);
                start++;
                continue;
            }

            var end = start + 1;
            while (end < count && !batch.IsTruncated(end) && batch.GetSource(end).Equals(source))
            {
                end++;
            }

            if (!_flows.TryGetValue(source, out var flow))
            {
                flow = Admit(source, end - start, ref denied, ref refused);
            }

            if (flow is null)
            {
                start = end;
                continue;
            }

            flow.LastActive = now;
            var next = Forward(flow, batch, start, end, out var forwarded, out var forwardedBytes);
            if (forwarded != 0)
            {
                flow.AddUp(forwarded);
                packets += forwarded;
                bytes += forwardedBytes;
            }

            start = next > start ? next : end; // stopping early: the rest is looked up again (its flow may be gone)
        }

        Counters.AddUp(packets, bytes);
        Counters.AddMalformed(malformed);
        Counters.AddDenied(denied);
        Counters.AddRefused(refused);
    }

    public void OnTick(UdpEventLoop loop, long timestamp)
    {
        foreach (var (peer, flow) in _flows)
        {
            if (timestamp - flow.LastActive > _idleTicks)
            {
                _flows.Remove(peer);
                Close(flow, "idle for " + FormatDuration(Settings.IdleTimeout));
            }
            else
            {
                OnFlowTick(flow);
            }
        }

        var counters = Listener.GetCounters();
        var loss = counters.SendDrops + counters.SendErrors;
        Counters.AddDropped(loss - _listenerLossSeen);
        _listenerLossSeen = loss;
        CollectKernelDrops();
    }

    /// <summary>
    /// On the loop thread: flows opened from now on go to <paramref name="target"/>; open ones are moved as the subclass
    /// can (<see cref="Move"/>: re-pointed in place, or their next connection goes there), and closed where they cannot:
    /// the peer's next datagram opens a flow there, which it does not notice (its replies come from the listener either way).
    /// </summary>
    public async Task<RouteMove> MoveTargetAsync(IPEndPoint target, string label)
    {
        int redirected = 0, closed = 0, reconnecting = 0;
        await Loop.InvokeAsync(() =>
        {
            Volatile.Write(ref _settings, _settings with { Target = target, TargetLabel = label });
            foreach (var (peer, flow) in _flows)
            {
                switch (Move(flow, target))
                {
                    case FlowMove.Redirected:
                        redirected++;
                        continue;
                    case FlowMove.NextConnection:
                        reconnecting++;
                        continue;
                }

                _flows.Remove(peer);
                Close(flow, $"the target moved to {label}, which its socket cannot reach (the peer's next datagram opens a flow there)");
                closed++;
            }
        }).ConfigureAwait(false);
        return new RouteMove(redirected, closed, 0, reconnecting);
    }

    /// <summary>Closes every flow and the listener. Call after the loop has stopped.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        foreach (var (peer, flow) in _flows)
        {
            _flows.Remove(peer);
            Close(flow, "relay shutting down");
        }

        CollectKernelDrops(); // read before closing: a closed socket reports nothing
        Listener.Dispose();
        await WhenFlowsClosedAsync().ConfigureAwait(false);
    }

    public override string ToString() =>
        $"{Name}: listening on UDP {ListenEndPoint}, forwarding over {TargetTransport.ToString().ToUpperInvariant()} to {Settings.TargetLabel}";

    internal static string FormatDuration(TimeSpan value) => value.TotalMilliseconds switch
    {
        < 1000 => string.Create(CultureInfo.InvariantCulture, $"{value.TotalMilliseconds:0}ms"),
        < 120_000 => string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.#}s"),
        < 7_200_000 => string.Create(CultureInfo.InvariantCulture, $"{value.TotalMinutes:0.#}m"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{value.TotalHours:0.#}h"),
    };

    /// <summary>Opens the path towards the target for a new peer, or returns null (having logged why).</summary>
    protected abstract TFlow? OpenFlow(in UdpAddress peer, int number);

    /// <summary>
    /// Sends datagrams [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="batch"/> on their way, in
    /// order: all from the flow's peer, none truncated. <paramref name="sent"/> is how many went (the rest were
    /// dropped and counted by whatever refused them), <paramref name="bytes"/> their payload bytes.
    /// </summary>
    /// <returns>
    /// Where it stopped: <paramref name="end"/>, or earlier when the flow was removed on the way (its peer's remaining
    /// datagrams then go through a fresh lookup, which may open a new flow).
    /// </returns>
    protected abstract int Forward(TFlow flow, DatagramBatch batch, int start, int end, out int sent, out long bytes);

    /// <summary>Releases a flow's path towards the target (loop thread, or after the loop stopped).</summary>
    protected abstract void CloseFlow(TFlow flow);

    /// <summary>
    /// Loop thread: points an open flow's path at the target's new address, and says how; <see cref="FlowMove.Closed"/>
    /// (the default) when it cannot, and the route closes the flow.
    /// </summary>
    protected virtual FlowMove Move(TFlow flow, IPEndPoint target) => FlowMove.Closed;

    /// <summary>What <see cref="Move"/> did with an open flow.</summary>
    protected enum FlowMove
    {
        /// <summary>It cannot follow: the route closes it.</summary>
        Closed,

        /// <summary>Its path sends to the new address from now on.</summary>
        Redirected,

        /// <summary>Its open connection stays as it is; its next connection goes to the new address.</summary>
        NextConnection,
    }

    /// <summary>Per-tick bookkeeping for a live flow (e.g. collecting its ICMP errors).</summary>
    protected virtual void OnFlowTick(TFlow flow)
    {
    }

    /// <summary>Waits for flow resources that close asynchronously (TCP connections); bounded by the subclass.</summary>
    protected virtual Task WhenFlowsClosedAsync() => Task.CompletedTask;

    /// <summary>Removes a flow that failed on its own (e.g. its connection gave up). Loop thread.</summary>
    protected void Remove(TFlow flow, string why)
    {
        if (_flows.TryGetValue(flow.Peer, out var current) && ReferenceEquals(current, flow))
        {
            _flows.Remove(flow.Peer);
            Close(flow, why);
        }
    }

    /// <summary>A new peer's first <paramref name="datagrams"/> arrived: open its flow, or count them as denied or refused.</summary>
    private TFlow? Admit(in UdpAddress source, int datagrams, ref long denied, ref long refused)
    {
        if (!Settings.Allow.Allows(source))
        {
            denied += datagrams;
            if (_deniedLogged.Count >= DeniedPeersRemembered)
            {
                _deniedLogged.Clear();
            }

            if (_deniedLogged.Add(source))
            {
                _admissionLog.Write(LogLevel.Warning, Component, (Peer: source, Allow: Settings.Allow), static s =>
                    $"denied UDP peer {s.Peer}: not in --allow ({s.Allow.Description}); its datagrams are dropped");
            }

            return null;
        }

        if (_flows.Count >= Settings.MaxFlows)
        {
            refused += datagrams;
            _admissionLog.Write(LogLevel.Warning, Component, (Peer: source, Max: Settings.MaxFlows), static s =>
                $"refused UDP peer {s.Peer}: all {s.Max} flows in use (--max-flows); its datagrams are dropped");
            return null;
        }

        var flow = OpenFlow(source, ++_flowNumber);
        if (flow is null)
        {
            refused += datagrams;
            return null;
        }

        _flows.Add(source, flow);
        Counters.FlowOpened();
        if (Log.IsEnabled(LogLevel.Info))
        {
            Log.Info(Component, $"new UDP peer {source} (flow #{flow.Number}, {_flows.Count}/{Settings.MaxFlows} in use) -> {Settings.TargetLabel}");
        }

        return flow;
    }

    private void Close(TFlow flow, string why)
    {
        CloseFlow(flow);
        Counters.FlowClosed();
        if (Log.IsEnabled(LogLevel.Info))
        {
            Log.Info(Component, $"closed flow #{flow.Number} of UDP peer {flow.Peer}: {why} " +
                $"(up {flow.PacketsUp} pkts, down {flow.PacketsDown} pkts; {_flows.Count} in use)");
        }
    }

    /// <summary>
    /// Reads how many datagrams the kernel dropped at the listener (one getsockopt, on the tick and at shutdown), puts
    /// the total in the counters and warns (rate-limited) when there are new ones: nothing else sees them.
    /// </summary>
    private void CollectKernelDrops()
    {
        if (Listener.KernelReceiveDrops() is not { } total)
        {
            return;
        }

        Counters.SetKernelDrops(total);
        var added = total - _kernelDropsSeen;
        if (added <= 0)
        {
            return;
        }

        _kernelDropsSeen = total;
        var pauses = ListenerPauses - _pausesSeen;
        _pausesSeen += pauses;
        _kernelDropLog.Write(LogLevel.Warning, Component, (Added: added, Total: total, Pauses: pauses, At: ListenEndPoint, Why: PauseReason), static s =>
            $"the kernel dropped {s.Added} datagram(s) arriving at UDP {s.At}, its receive buffer full " +
            (s.Pauses > 0 ? $"while reading paused ({s.Pauses} time(s)) {s.Why}" : "(the relay fell behind)") +
            $"; {s.Total} in all");
    }

    private void LogTruncated(in UdpAddress source, int slotSize) =>
        _malformedLog.Write(LogLevel.Warning, Component, (Peer: source, Slot: slotSize), static s =>
            $"dropped a datagram from {s.Peer}: longer than {s.Slot} bytes (no SpiNNaker packet is)");
}
