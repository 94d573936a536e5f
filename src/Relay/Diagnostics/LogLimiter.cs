using System.Diagnostics;

namespace FastSpinnRelay.Relay.Diagnostics;

/// <summary>
/// Caps how often one kind of log line is written when a peer can trigger it at will (denied peers, malformed
/// frames, ICMP errors): at most <c>burst</c> lines per <c>period</c>; the rest are counted and the next line
/// written says how many were left out.
/// </summary>
/// <remarks>Thread-safe. Costs one lock and one timestamp per call, nothing when a caller checks the level first.</remarks>
public sealed class LogLimiter
{
    private readonly Lock _gate = new();
    private readonly int _burst;
    private readonly long _period;
    private long _windowStart;
    private int _written;
    private long _suppressed;

    /// <param name="burst">Lines allowed per period, at least 1.</param>
    /// <param name="period">Length of a window.</param>
    public LogLimiter(int burst, TimeSpan period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        _burst = burst;
        _period = (long)(period.TotalSeconds * Stopwatch.Frequency);
        _windowStart = Stopwatch.GetTimestamp() - _period;
    }

    /// <summary>
    /// True when a line may be written now; <paramref name="suppressed"/> is how many were refused since the last
    /// line written (to mention in it).
    /// </summary>
    public bool TryAcquire(out long suppressed)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (now - _windowStart >= _period)
            {
                _windowStart = now;
                _written = 0;
            }

            if (_written < _burst)
            {
                _written++;
                suppressed = _suppressed;
                _suppressed = 0;
                return true;
            }

            _suppressed++;
            suppressed = 0;
            return false;
        }
    }

    /// <summary>Writes <paramref name="message"/> at <paramref name="level"/> if the level is on and the limit allows.</summary>
    public void Write(LogLevel level, string component, string message)
    {
        if (Log.IsEnabled(level) && TryAcquire(out var suppressed))
        {
            Log.Write(level, component, suppressed == 0 ? message : $"{message} ({suppressed} similar line(s) left out)");
        }
    }

    /// <summary>As <see cref="Write(LogLevel, string, string)"/>, building the message only when it will be written.</summary>
    public void Write<TState>(LogLevel level, string component, TState state, Func<TState, string> format)
    {
        if (Log.IsEnabled(level) && TryAcquire(out var suppressed))
        {
            var message = format(state);
            Log.Write(level, component, suppressed == 0 ? message : $"{message} ({suppressed} similar line(s) left out)");
        }
    }
}
