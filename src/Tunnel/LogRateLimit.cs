using System.Diagnostics;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// Caps how often one kind of log line is written when a peer can trigger it at will (refused connections, failed
/// handshakes, malformed frames): at most <c>burst</c> lines per <c>period</c>; the rest are counted, and the next line
/// allowed says how many were left out (<see cref="Annotate"/>).
/// </summary>
/// <remarks>Thread-safe. Costs one lock and one timestamp per call.</remarks>
public sealed class LogRateLimit
{
    private readonly Lock _gate = new();
    private readonly int _burst;
    private readonly long _period;
    private long _windowStart;
    private int _written;
    private long _suppressed;

    /// <param name="burst">Lines allowed per period, at least 1.</param>
    /// <param name="period">Length of a window.</param>
    public LogRateLimit(int burst, TimeSpan period)
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
        long now = Stopwatch.GetTimestamp();
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

    /// <summary><paramref name="message"/>, with how many similar lines were left out before it when any were.</summary>
    public static string Annotate(string message, long suppressed) =>
        suppressed == 0 ? message : $"{message} ({suppressed} similar line(s) left out)";
}
