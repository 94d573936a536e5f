using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Diagnostics;

public class CountersScheduleTests
{
    [Fact]
    public async Task It_logs_on_the_schedule_until_stopped_and_then_returns_quietly()
    {
        using var stop = new CancellationTokenSource();
        int logged = 0;
        Task waiting = CountersSchedule.LogUntilStoppedAsync(TimeSpan.FromMilliseconds(1), () => Interlocked.Increment(ref logged), stop.Token);

        Assert.True(Loopback.WaitUntil(() => Volatile.Read(ref logged) >= 2), "the counters were never logged twice");
        await stop.CancelAsync();
        await waiting.WaitAsync(Loopback.Limit);

        Assert.True(waiting.IsCompletedSuccessfully); // the stop is not an error: no OperationCanceledException
    }

    [Fact]
    public async Task A_zero_interval_logs_nothing_and_waits_for_the_stop()
    {
        using var stop = new CancellationTokenSource();
        int logged = 0;
        Task waiting = CountersSchedule.LogUntilStoppedAsync(TimeSpan.Zero, () => logged++, stop.Token);
        Assert.False(waiting.IsCompleted);

        await stop.CancelAsync();
        await waiting.WaitAsync(Loopback.Limit);

        Assert.Equal(0, logged);
    }
}
