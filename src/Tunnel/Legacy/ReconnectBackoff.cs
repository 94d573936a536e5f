namespace FastSpinnRelay.Tunnel.Legacy;

/// <summary>
/// Exponential back-off with jitter for reconnecting: the first delay is the minimum, each further one doubles up
/// to the maximum, and each is spread by ±20 % so clients that lost one server do not return in lock-step.
/// </summary>
/// <remarks>A mutable value: keep it in one place (a field or local of the reconnecting task).</remarks>
public struct ReconnectBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private TimeSpan _next;

    public ReconnectBackoff(TimeSpan min, TimeSpan max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(min, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        _min = min;
        _max = max;
        _next = min;
    }

    /// <summary>The delay before the next attempt (jittered), and doubles the one after.</summary>
    public TimeSpan Next()
    {
        var current = _next;
        _next = TimeSpan.FromTicks(Math.Min(_max.Ticks, current.Ticks * 2));
        var jittered = current * (0.8 + (0.4 * Random.Shared.NextDouble()));
        return jittered > _max ? _max : jittered;
    }

    /// <summary>Starts again from the minimum (after a connection that worked).</summary>
    public void Reset() => _next = _min;
}
