
namespace FastSpinnRelay.Tunnel.Tests;

public class AsyncSignalTests
{
    [Fact]
    public async Task A_set_before_the_wait_completes_it_at_once_and_is_consumed()
    {
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set();

        Task first = signal.WaitAsync().AsTask();
        Assert.True(first.IsCompleted);
        Task second = signal.WaitAsync().AsTask();
        Assert.False(second.IsCompleted);
        signal.Set();
        await second;
    }

    [Fact]
    public async Task Many_sets_from_other_threads_always_wake_the_waiter()
    {
        var signal = new AsyncSignal();
        int produced = 0;
        Task producer = Task.Run(() =>
        {
            for (int i = 0; i < 100_000; i++)
            {
                Interlocked.Increment(ref produced);
                signal.Set();
            }
        });

        int seen = 0;
        while (seen < 100_000)
        {
            await signal.WaitAsync();
            seen = Volatile.Read(ref produced);
        }

        await producer;
    }
}
