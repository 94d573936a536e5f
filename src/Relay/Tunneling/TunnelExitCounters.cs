using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tunneling;

/// <summary>
/// The tunnel totals <c>relay tunnel serve</c> and <c>connect</c> put in their exit report (<see cref="ExitReport.Record"/>)
/// when they stop, summed over their sessions: what `relay bench` turns into the tunnel's bytes per datagram and the
/// LZ4 saving. The two ends' reports added together cover both directions.
/// </summary>
public static class TunnelExitCounters
{
    /// <summary>Bytes of frames this end read from its connections (<see cref="TunnelSessionCounters.BytesReceived"/>).</summary>
    public const string BytesReceived = "tunnelBytesReceived";

    /// <summary>
    /// Datagrams (and the few OPEN and CLOSE frames) this end received through the tunnel: reliable frames plus
    /// latest-class datagrams. The denominator of bytes per datagram: what the tunnel carried, delivered onwards or not.
    /// </summary>
    public const string DatagramsReceived = "tunnelDatagramsReceived";

    /// <summary>Record bytes this end put into BATCH frames, before compression (<see cref="TunnelSessionCounters.BatchRawBytes"/>).</summary>
    public const string BatchRawBytes = "tunnelBatchRawBytes";

    /// <summary>Bytes of those batches on the wire (<see cref="TunnelSessionCounters.BatchWireBytes"/>).</summary>
    public const string BatchWireBytes = "tunnelBatchWireBytes";

    /// <summary>BATCH frames this end sent compressed (<see cref="TunnelSessionCounters.BatchesCompressed"/>).</summary>
    public const string BatchesCompressed = "tunnelBatchesCompressed";

    /// <summary>Sums the counters of <paramref name="sessions"/> and records them for the exit report.</summary>
    public static void Record(IEnumerable<TunnelSession> sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        long bytes = 0, datagrams = 0, raw = 0, wire = 0, compressed = 0;
        foreach (var session in sessions)
        {
            var counters = session.GetCounters();
            bytes += counters.BytesReceived;
            datagrams += counters.ReliableFramesReceived + counters.LatestDatagramsReceived;
            raw += counters.BatchRawBytes;
            wire += counters.BatchWireBytes;
            compressed += counters.BatchesCompressed;
        }

        ExitReport.Record(BytesReceived, bytes);
        ExitReport.Record(DatagramsReceived, datagrams);
        ExitReport.Record(BatchRawBytes, raw);
        ExitReport.Record(BatchWireBytes, wire);
        ExitReport.Record(BatchesCompressed, compressed);
    }
}
