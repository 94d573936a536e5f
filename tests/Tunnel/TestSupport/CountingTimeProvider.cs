namespace FastSpinnRelay.Tunnel.Tests.TestSupport;

/// <summary>The system clock, counting how often a timer it made has fired (so a test can wait for N ticks).</summary>
internal sealed class CountingTimeProvider : TimeProvider
{
    private long _fired;

    public long Fired => Interlocked.Read(ref _fired);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        System.CreateTimer(s => { Interlocked.Increment(ref _fired); callback(s); }, state, dueTime, period);
}

/// <summary>
/// Allocation tests: these measure the whole process (<see cref="GC.GetTotalAllocatedBytes"/>), so they run alone,
/// and wait by sleeping (nothing allocated per poll), each wait bounded.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "Allocation";

    /// <summary>Bytes the process allocated while <paramref name="condition"/> became true (polled every millisecond, at most 60 s).</summary>
    internal static long AllocatedUntil(Func<bool> condition, string what)
    {
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int waited = 0; !condition(); waited++)
        {
            if (waited == 60_000)
            {
                Assert.Fail($"gave up waiting for {what}");
            }

            Thread.Sleep(1);
        }

        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }
}
