using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>
/// UDP in, UDP out, one upstream socket per peer (both ends in UDP mode). A datagram from peer P leaves on P's
/// own socket, connected to the target; whatever the target sends back to that socket goes to P through the
/// listening socket. So the board's replies (sent to the requester's address and port) reach the right peer,
/// however many there are.
/// </summary>
/// <remarks>
/// Everything runs on the loop thread: receive, forward, reply, expiry, and a move of the target (a reload), which
/// re-points each flow's socket (<see cref="UdpSocket.TryRedirect"/>). No allocation per datagram.
/// </remarks>
internal sealed class UdpToUdpRoute : UdpPeerRoute<UdpToUdpRoute.Flow>
{
    private readonly UdpSocketOptions _flowOptions;
    private readonly LogLimiter _flowLog = new(5, TimeSpan.FromSeconds(10));

    /// <summary>
    /// Smallest run (payload bytes) sent in place. A smaller one (a train of 24-byte datagrams is 1.5 KiB) is copied
    /// into the flow socket's queue, which sends every run of the loop iteration with one sendmmsg at its end; in place
    /// it would cost a sendmmsg of its own to save copying a few bytes per datagram.
    /// </summary>
    internal const int InPlaceMinBytes = 4096;

    /// <summary>A run on its way from the loop's receive batch to a flow socket (loop thread; empty between calls).</summary>
    private readonly UdpInPlaceBatch _inPlace = new();

    private long _inPlaceRuns;

    public UdpToUdpRoute(RouteSettings settings, UdpEventLoop loop, UdpSocketOptions listenOptions, UdpSocketOptions flowOptions)
        : base(settings, loop, listenOptions)
    {
        _flowOptions = flowOptions;
    }

    public override ClassicTransport TargetTransport => ClassicTransport.Udp;

    /// <summary>Runs sent in place rather than copied into a flow socket's queue (for tests).</summary>
    internal long InPlaceRuns => Volatile.Read(ref _inPlaceRuns);

    protected override Flow? OpenFlow(in UdpAddress peer, int number)
    {
        UdpSocket socket;
        var target = Settings.Target;
        try
        {
            socket = new UdpSocket(UdpSockets.LocalEndPointFor(target), _flowOptions with { RemoteEndPoint = target, Name = $"{Component} flow #{number}" });
        }
        catch (SocketException e)
        {
            _flowLog.Write(LogLevel.Warning, Component, (Peer: peer, Error: e.SocketErrorCode, Target: Settings.TargetLabel), static s =>
                $"cannot open a socket towards {s.Target} for UDP peer {s.Peer}: {s.Error}; its datagrams are dropped");
            return null;
        }

        var flow = new Flow(this, peer, number, socket);
        if (!Loop.Register(socket, flow))
        {
            socket.Dispose();
            return null;
        }

        return flow;
    }

    /// <summary>
    /// Sends a run of coalesced trains of at least <see cref="InPlaceMinBytes"/> to the target from where the loop received
    /// it (<see cref="UdpSocket.QueueSendInPlace"/>: a train leaves as the GSO group it arrived as, one iovec, its bytes
    /// never copied in user space); copies anything else into the flow socket's send queue: a smaller run, datagrams
    /// read one by one (in separate slots they would cost the kernel one iovec each, which costs more than the copy
    /// saved), or any run where the socket has no batch syscalls.
    /// </summary>
    protected override int Forward(Flow flow, DatagramBatch batch, int start, int end, out int sent, out long bytes)
    {
        sent = 0;
        bytes = 0;
        var upstream = flow.Upstream;
        if (batch.HoldsTrains && upstream.UsesBatchSyscalls && (long)(end - start) * batch.GetLength(start) >= InPlaceMinBytes)
        {
            for (var i = start; i < end; i++)
            {
                if (!_inPlace.TryAdd(batch.GetPayload(i)))
                {
                    sent += upstream.QueueSendInPlace(_inPlace, out var partBytes);
                    bytes += partBytes;
                    _inPlace.TryAdd(batch.GetPayload(i));
                }
            }

            sent += upstream.QueueSendInPlace(_inPlace, out var lastBytes); // refusals are counted by the socket
            bytes += lastBytes;
            Volatile.Write(ref _inPlaceRuns, _inPlaceRuns + 1);
            return end;
        }

        for (var i = start; i < end; i++)
        {
            var payload = batch.GetPayload(i);
            if (flow.Upstream.QueueSend(payload) == UdpStatus.Ok) // a refusal is counted by the socket (SendDrops)
            {
                sent++;
                bytes += payload.Length;
            }
        }

        return end;
    }

    protected override void OnFlowTick(Flow flow) => Collect(flow);

    protected override FlowMove Move(Flow flow, IPEndPoint target) => flow.Upstream.TryRedirect(target) ? FlowMove.Redirected : FlowMove.Closed;

    protected override void CloseFlow(Flow flow)
    {
        Collect(flow);
        if (!Loop.Unregister(flow.Upstream, dispose: true))
        {
            flow.Upstream.Dispose();
        }
    }

    private void Collect(Flow flow) => flow.Watch.Collect(flow.Upstream, Counters, _flowLog, Settings, flow);

    /// <summary>One peer's socket towards the target; what arrives on it goes back to the peer through the listener.</summary>
    internal sealed class Flow(UdpToUdpRoute route, UdpAddress peer, int number, UdpSocket upstream)
        : PeerFlow(peer, number), IUdpReceiver, IPeerReturn
    {
        /// <summary>What the socket counted that the route has already taken in.</summary>
        public LossWatch Watch;

        public UdpSocket Upstream { get; } = upstream;

        public void OnDatagrams(UdpSocket socket, DatagramBatch batch) => ReturnPath.Forward(this, batch, route.Counters);

        public bool TryReturn(ReadOnlySpan<byte> datagram) => route.Listener.QueueSendTo(datagram, Peer) == UdpStatus.Ok;
    }
}
