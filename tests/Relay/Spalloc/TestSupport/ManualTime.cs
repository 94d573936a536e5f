namespace FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

/// <summary>A clock that moves only when told (timers still run on real time; tests call housekeeping themselves).</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _ticks = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
