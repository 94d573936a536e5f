using System.Globalization;

namespace FastSpinnRelay.Relay.Classic;

/// <summary>
/// Totals for one route (the SCP or the boot port of a relay) since it started. "Up" is from the listening side
/// towards the target (server: towards the board; client: towards the proxy server), "down" is the way back.
/// Each field is read atomically; the snapshot as a whole is not one instant.
/// </summary>
/// <param name="PacketsUp">Datagrams forwarded towards the target.</param>
/// <param name="BytesUp">Their payload bytes (datagram bytes, without TCP length prefixes).</param>
/// <param name="PacketsDown">Datagrams forwarded back to peers.</param>
/// <param name="BytesDown">Their payload bytes.</param>
/// <param name="Dropped">Datagrams lost inside the relay: a full send queue or TCP outbox, a kernel send buffer
/// that was full, a send error, frames abandoned when a TCP connection broke.</param>
/// <param name="Malformed">Input that could not be forwarded: UDP datagrams too long for a receive slot, TCP
/// length prefixes over the maximum, TCP streams that ended inside a frame.</param>
/// <param name="FlowsOpened">Flows (per-peer sockets or TCP connections) opened.</param>
/// <param name="FlowsActive">Flows open now.</param>
/// <param name="FlowsClosed">Flows closed (idle expiry, peer closed, error, shutdown).</param>
/// <param name="Denied">Datagrams or connections refused because the peer is not in <c>--allow</c>.</param>
/// <param name="Refused">Datagrams or connections refused because <c>--max-flows</c> flows were open.</param>
/// <param name="Unreachable">ICMP errors (port or host unreachable) reported for the target; never fatal.</param>
/// <param name="Reconnects">Client, TCP: connections re-established after one was lost.</param>
/// <param name="KernelDrops">Datagrams the kernel dropped at the route's UDP listening socket before the relay could
/// read them: its receive buffer was full, because the relay fell behind or (client, TCP) stopped reading while the
/// stream to the server was full. Not in <paramref name="Dropped"/>. Sampled on the loop's tick and at shutdown; 0 for
/// a TCP listener and where the kernel does not report it (Linux SO_MEMINFO).</param>
public readonly record struct RouteCounters(
    long PacketsUp,
    long BytesUp,
    long PacketsDown,
    long BytesDown,
    long Dropped,
    long Malformed,
    long FlowsOpened,
    long FlowsActive,
    long FlowsClosed,
    long Denied,
    long Refused,
    long Unreachable,
    long Reconnects,
    long KernelDrops = 0)
{
    /// <summary>One log-friendly line, e.g. "up 12 pkts/3.4 KB, down 12 pkts/1.0 KB, flows 1 open (2 opened), ...".</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"up {PacketsUp} pkts/{Bytes(BytesUp)}, down {PacketsDown} pkts/{Bytes(BytesDown)}, " +
        $"flows {FlowsActive} open ({FlowsOpened} opened, {FlowsClosed} closed), dropped {Dropped}, kernel drops {KernelDrops}, " +
        $"malformed {Malformed}, denied {Denied}, refused {Refused}, unreachable {Unreachable}, reconnects {Reconnects}");

    private static string Bytes(long bytes) => bytes switch
    {
        < 10_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 10_000_000 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1000.0:0.0} KB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1_000_000.0:0.0} MB"),
    };
}
