using System.Diagnostics;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Classic.Internal;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tunneling.Internal;

/// <summary>
/// The client's local SCP, boot or live-input port: the classic per-peer flow table (<see cref="UdpPeerRoute{TFlow}"/>: idle
/// expiry, --max-flows, counters), where each local application's flow is its own tunnel channel. The server gives
/// each channel its own socket to the board, so every application gets only its own replies.
/// </summary>
/// <remarks>
/// Threading: datagrams from applications are queued into the tunnel on the UDP loop (TrySend copies, no
/// allocation); while the session's replay buffer is full the listener is not read (<see cref="ListenerBackpressure"/>)
/// until acknowledgements free a quarter of it or a tick passes. Replies arrive on the tunnel session's receive loop;
/// those of one read leave for their application together when the read is handled (one sendmmsg, any thread, no
/// allocation after the first), so a lone reply leaves at once.
/// </remarks>
internal sealed class UdpToTunnelRoute : UdpPeerRoute<UdpToTunnelRoute.Flow>
{
    private readonly TunnelSession _session;
    private readonly TunnelChannelKind _kind;
    private readonly TunnelTarget _target;
    private readonly LogLimiter _log = new(5, TimeSpan.FromSeconds(10));
    private readonly ListenerBackpressure _backpressure;

    /// <summary>Binds the listener; each peer's channel is of <paramref name="kind"/> and names <paramref name="target"/> (default: the server's board port for the kind).</summary>
    public UdpToTunnelRoute(RouteSettings settings, UdpEventLoop loop, UdpSocketOptions listenOptions, TunnelSession session, TunnelChannelKind kind,
        TunnelTarget target = default)
        : base(settings, loop, listenOptions)
    {
        _session = session;
        _kind = kind;
        _target = target;
        _backpressure = new ListenerBackpressure(loop, Listener, this);
    }

    /// <summary>Times the listener stopped being read because the tunnel's replay buffer was full.</summary>
    internal override long ListenerPauses => _backpressure.Pauses;

    protected override string PauseReason => "because the tunnel's replay buffer was full (the server had not yet acknowledged)";

    public override ClassicTransport TargetTransport => ClassicTransport.Tcp;

    protected override Flow? OpenFlow(in UdpAddress peer, int number)
    {
        var flow = new Flow(this, peer, number);
        try
        {
            flow.Channel = _session.OpenChannel(_kind, _target, flow);
        }
        catch (InvalidOperationException e)
        {
            _log.Write(LogLevel.Warning, Component, (Peer: peer, e.Message), static s =>
                $"cannot open a tunnel channel for UDP peer {s.Peer}: {s.Message} Its datagrams are dropped");
            return null;
        }

        return flow;
    }

    protected override int Forward(Flow flow, DatagramBatch batch, int start, int end, out int sent, out long bytes)
    {
        sent = 0;
        bytes = 0;
        var channel = flow.Channel!;
        try
        {
            return QueueRun(flow, channel, batch, start, end, ref sent, ref bytes);
        }
        finally
        {
            // One wake-up for the run, after it is all queued; a short run is written out on this (the UDP loop's) thread.
            channel.WakeSender(sent);
        }
    }

    private int QueueRun(Flow flow, TunnelChannel channel, DatagramBatch batch, int start, int end, ref int sent, ref long bytes)
    {
        for (var i = start; i < end; i++)
        {
            var payload = batch.GetPayload(i);
            var status = channel.TrySendLater(payload);
            if (status == TunnelSendStatus.Sent)
            {
                sent++;
                bytes += payload.Length;
                continue;
            }

            Counters.AddDropped(1);
            if (status == TunnelSendStatus.Closed)
            {
                Remove(flow, "its tunnel channel was closed"); // the application's next datagram opens a new channel
                return i + 1;
            }

            _log.Write(LogLevel.Warning, Component, (flow.Peer, Status: status), static s =>
                $"dropped a datagram from {s.Peer}: tunnel says {s.Status} (Full: the server has not acknowledged 1 MiB yet)");
            if (status == TunnelSendStatus.Full && channel.TryWaitForReplayRoom())
            {
                // The replay buffer is the session's: what else this batch holds would be refused too. Stop reading
                // until acknowledgements free a quarter of it (or a tick passes), so the kernel drops the excess at the
                // socket rather than this loop receiving it only to drop it.
                Counters.AddDropped(end - i - 1);
                _backpressure.Refused();
                return end;
            }
        }

        return end;
    }

    protected override void OnFlowTick(Flow flow) => _backpressure.Room(); // a pause lasts a tick at most

    protected override void CloseFlow(Flow flow)
    {
        _backpressure.Room();
        if (flow.Channel is { IsOpen: true } channel)
        {
            channel.Close();
        }
    }

    /// <summary>One application's channel; the server's replies go back to the application's address.</summary>
    internal sealed class Flow(UdpToTunnelRoute route, UdpAddress peer, int number) : PeerFlow(peer, number), ITunnelRoomHandler, ITunnelBatchHandler
    {
        /// <summary>
        /// Replies of one read of the tunnel, sent together when the read is handled: 16 slots of 512 B (8 KiB pinned, on
        /// the first reply; SCP replies are at most 272 bytes, a longer one goes alone after what waits).
        /// </summary>
        private readonly GatheredSends _replies = new(16, 512);
        private long _countedSent;
        private long _countedBytes;
        private long _countedFailed;

        public TunnelChannel? Channel { get; set; }

        /// <summary>Acknowledgements freed room in the replay buffer (under the session's lock: only posts the resume).</summary>
        public void OnRoom(TunnelChannel channel) => route._backpressure.Room();

        public void OnDatagram(TunnelChannel channel, ReadOnlySpan<byte> datagram, uint gapMicroseconds)
        {
            LastActive = Stopwatch.GetTimestamp();
            _replies.Add(route.Listener, datagram, Peer);
        }

        /// <summary>The read's replies for this application leave now, in one sendmmsg, and are counted.</summary>
        public void OnBatchEnd(TunnelChannel channel)
        {
            _replies.Flush();
            long sent = _replies.Sent - _countedSent, bytes = _replies.SentBytes - _countedBytes, failed = _replies.Failed - _countedFailed;
            _countedSent += sent;
            _countedBytes += bytes;
            _countedFailed += failed;
            if (sent != 0)
            {
                AddDown(sent);
                route.Counters.AddDown(sent, bytes);
            }

            if (failed != 0)
            {
                route.Counters.AddDropped(failed);
            }
        }

        public void OnClosed(TunnelChannel channel, TunnelErrorCode code) =>
            route._log.Write(LogLevel.Warning, route.Component, (Peer, Channel: channel, Code: code), static s =>
                $"{s.Channel} of UDP peer {s.Peer} closed by the server ({s.Code}); its next datagram opens a new one");
    }
}
