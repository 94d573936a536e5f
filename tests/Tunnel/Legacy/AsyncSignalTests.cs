using FastSpinnRelay.Tunnel.Legacy.Internal;

namespace FastSpinnRelay.Tunnel.Tests.Legacy;

public class AsyncSignalTests
{
    [Fact]
    public async Task Never_loses_a_set_racing_the_wait()
    {
        var signal = new AsyncSignal();
        var consumed = 0;
        var waiter = Task.Run(async () =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                await signal.WaitAsync();
                Interlocked.Increment(ref consumed);
            }
        });

        // Each set is followed by waiting for it to be consumed, so every one must wake the waiter.
        for (var i = 0; i < 10_000; i++)
        {
            signal.Set();
            Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref consumed) > i, StreamTestSupport.Deadline));
        }

        await waiter.WaitAsync(StreamTestSupport.Deadline);
    }

    [Fact]
    public void Sets_before_a_wait_coalesce_into_one()
    {
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set();

        Assert.True(IsCompleted(signal.WaitAsync()));
        Assert.False(IsCompleted(signal.WaitAsync()));
    }

    private static bool IsCompleted(ValueTask wait) => wait.IsCompleted;
}
