namespace FastSpinnRelay.Relay.Diagnostics;

/// <summary>
/// The wait of the long-running verbs (<c>relay server</c>/<c>client</c>, <c>emulate</c>, the tunnel's verbs,
/// <c>spalloc serve</c>): until Ctrl+C or SIGTERM, logging their counters on a schedule.
/// </summary>
internal static class CountersSchedule
{
    /// <summary>
    /// Returns when <paramref name="stop"/> fires, having called <paramref name="logCounters"/> every
    /// <paramref name="interval"/> until then (never when the interval is zero). What <paramref name="logCounters"/>
    /// throws is not caught.
    /// </summary>
    /// <remarks>Every caller has bound its sockets by now: systemd (<c>Type=notify</c>) is told the service is ready, and when it stops.</remarks>
    public static async Task LogUntilStoppedAsync(TimeSpan interval, Action logCounters, CancellationToken stop)
    {
        SystemdNotify.Ready();
        using var stopping = stop.Register(SystemdNotify.Stopping);
        var wait = interval > TimeSpan.Zero ? interval : Timeout.InfiniteTimeSpan;
        try
        {
            while (true)
            {
                await Task.Delay(wait, stop).ConfigureAwait(false);
                logCounters();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl+C or SIGTERM: the normal way to stop.
        }
    }
}
