using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel.Legacy;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>
/// Moves what a flow's own sockets and outbox counted since the last look (ICMP errors, datagrams they could not
/// send or queue) into its route's counters, and warns (rate-limited) when the target reported itself unreachable.
/// A mutable value kept as a field of its flow; used on one thread at a time (the loop's tick, then the close).
/// </summary>
internal struct LossWatch
{
    private long _icmpSeen;
    private long _socketLossSeen;
    private long _outboxLossSeen;

    /// <summary>Collects from the flow's upstream UDP socket; logs new ICMP errors.</summary>
    public void Collect(UdpSocket upstream, RouteCounterSet counters, LogLimiter log, RouteSettings settings, PeerFlow flow)
    {
        var snapshot = upstream.GetCounters();
        var loss = snapshot.SendDrops + snapshot.SendErrors;
        counters.AddDropped(loss - _socketLossSeen);
        _socketLossSeen = loss;

        var icmp = snapshot.IcmpErrors - _icmpSeen;
        if (icmp <= 0)
        {
            return;
        }

        _icmpSeen = snapshot.IcmpErrors;
        counters.AddUnreachable(icmp);
        log.Write(LogLevel.Warning, settings.Component, (Flow: flow, Count: icmp, Target: settings.TargetLabel), static s =>
            $"{s.Target} unreachable (ICMP error x{s.Count}) on flow #{s.Flow.Number} of peer {s.Flow.Peer}; " +
            "is it powered and listening? Forwarding carries on");
    }

    /// <summary>Collects the datagrams a TCP outbox refused (full, closed) or lost with a broken connection.</summary>
    public void Collect(FrameOutbox outbox, RouteCounterSet counters)
    {
        var dropped = outbox.Dropped;
        counters.AddDropped(dropped - _outboxLossSeen);
        _outboxLossSeen = dropped;
    }
}
