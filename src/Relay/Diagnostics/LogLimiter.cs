using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Diagnostics;

/// <summary>
/// Caps how often one kind of log line is written when a peer can trigger it at will (denied peers, malformed
/// frames, ICMP errors): at most <c>burst</c> lines per <c>period</c>; the rest are counted and the next line
/// written says how many were left out.
/// </summary>
/// <remarks>Thread-safe (a <see cref="LogRateLimit"/>). Costs one lock and one timestamp per call, nothing when the level is off.</remarks>
public sealed class LogLimiter
{
    private readonly LogRateLimit _limit;

    /// <param name="burst">Lines allowed per period, at least 1.</param>
    /// <param name="period">Length of a window.</param>
    public LogLimiter(int burst, TimeSpan period) => _limit = new LogRateLimit(burst, period);

    /// <summary>
    /// True when a line may be written now; <paramref name="suppressed"/> is how many were refused since the last
    /// line written (to mention in it).
    /// </summary>
    public bool TryAcquire(out long suppressed) => _limit.TryAcquire(out suppressed);

    /// <summary>Writes <paramref name="message"/> at <paramref name="level"/> if the level is on and the limit allows.</summary>
    public void Write(LogLevel level, string component, string message)
    {
        if (Log.IsEnabled(level) && TryAcquire(out var suppressed))
        {
            Log.Write(level, component, LogRateLimit.Annotate(message, suppressed));
        }
    }

    /// <summary>As <see cref="Write(LogLevel, string, string)"/>, building the message only when it will be written.</summary>
    public void Write<TState>(LogLevel level, string component, TState state, Func<TState, string> format)
    {
        if (Log.IsEnabled(level) && TryAcquire(out var suppressed))
        {
            Log.Write(level, component, LogRateLimit.Annotate(format(state), suppressed));
        }
    }
}
