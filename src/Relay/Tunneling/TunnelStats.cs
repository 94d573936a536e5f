using System.Globalization;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tunneling;

/// <summary>
/// One log line per tunnel session with its counters, for <c>relay tunnel serve</c> and <c>connect</c>: every
/// <c>--stats-interval</c>, and once when they stop. What an operator needs to tell a quiet tunnel from a broken one:
/// whether it is connected, what went each way, what was dropped or resent, and what LZ4 saved.
/// </summary>
public static class TunnelStats
{
    /// <summary>Logs <paramref name="sessions"/>' lines at info level, each prefixed with <paramref name="when"/>; "no sessions" when there are none.</summary>
    public static void Log(string component, string when, IReadOnlyCollection<TunnelSession> sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        if (!Diagnostics.Log.IsEnabled(LogLevel.Info))
        {
            return;
        }

        if (sessions.Count == 0)
        {
            Diagnostics.Log.Info(component, $"{when}: no sessions");
            return;
        }

        foreach (var session in sessions)
        {
            Diagnostics.Log.Info(component, $"{when} {Describe(session)}");
        }
    }

    /// <summary>"session 1a2b3c4d (connected, 2 channels, 0 bytes unacknowledged): sent ...; received ...; ...".</summary>
    public static string Describe(TunnelSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var state = session.IsClosed ? "closed"
            : session.IsConnected ? "connected"
            : session.LastCloseReason == TunnelCloseReason.None ? "never connected" // e.g. a client refused at its first attempt
            : $"disconnected: {session.LastCloseReason}";
        return FormattableString.Invariant(
            $"{session} ({state}, {session.OpenChannelCount} channels, {session.UnacknowledgedBytes} bytes unacknowledged): {Describe(session.GetCounters())}");
    }

    /// <summary>The counters as one line, names spelled out (invariant culture).</summary>
    public static string Describe(TunnelSessionCounters c)
    {
        var saved = c.BatchRawBytes > 0 ? 100.0 * (c.BatchRawBytes - c.BatchWireBytes) / c.BatchRawBytes : 0;
        return string.Create(CultureInfo.InvariantCulture,
            $"sent reliable {c.ReliableFramesQueued} (resent {c.ReliableFramesRetransmitted}), live {c.LatestDatagramsQueued} " +
            $"(dropped {c.LatestDatagramsDropped}, {c.LatestBytesDropped} B); received reliable {c.ReliableFramesReceived} " +
            $"(duplicates {c.DuplicatesDropped}), live {c.LatestDatagramsReceived}, {c.BytesReceived} B; batches {c.BatchesSent} " +
            $"(compressed {c.BatchesCompressed}, LZ4 saved {saved:0.0} %); for closed channels {c.DatagramsForClosedChannels}, " +
            $"handler faults {c.HandlerFaults}; connections {c.Connections}, pings {c.PingsSent}, pongs {c.PongsReceived}");
    }
}
