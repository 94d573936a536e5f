using FastSpinnRelay.Tunnel.Tests.TestSupport;

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

    [Fact]
    public void SetAndRunWaiter_resumes_a_waiting_consumer_on_the_calling_thread_before_it_returns()
    {
        var signal = new AsyncSignal();
        var consumer = new Consumer(signal);
        Task waiting = consumer.WaitOnceAsync();
        Assert.False(waiting.IsCompleted);

        consumer.Signal(runWaiterHere: true);

        Assert.True(waiting.IsCompleted);
        Assert.True(consumer.ResumedInsideTheSignal);
    }

    [Fact]
    public async Task Set_never_resumes_the_consumer_inside_the_call()
    {
        var signal = new AsyncSignal();
        var consumer = new Consumer(signal);
        Task waiting = consumer.WaitOnceAsync();

        consumer.Signal(runWaiterHere: false);

        await Bounded.Wait(waiting, "the consumer to resume");
        Assert.False(consumer.ResumedInsideTheSignal);
    }

    [Fact]
    public async Task After_a_resume_on_the_calling_thread_the_next_Set_is_asynchronous_again()
    {
        var signal = new AsyncSignal();
        var consumer = new Consumer(signal);
        Task first = consumer.WaitOnceAsync();
        consumer.Signal(runWaiterHere: true);
        Assert.True(consumer.ResumedInsideTheSignal);

        Task second = consumer.WaitOnceAsync();
        consumer.Signal(runWaiterHere: false);

        await Bounded.Wait(second, "the second resume");
        Assert.False(consumer.ResumedInsideTheSignal);
        Assert.True(first.IsCompleted);
    }

    [Fact]
    public void SetAndRunWaiter_with_no_waiter_leaves_the_signal_set_for_the_next_wait()
    {
        var signal = new AsyncSignal();
        signal.SetAndRunWaiter();

        Assert.True(signal.WaitAsync().AsTask().IsCompleted);
        Assert.False(signal.WaitAsync().AsTask().IsCompleted);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(AsyncSignal.ShortRun - 1, true)]
    [InlineData(AsyncSignal.ShortRun, false)]
    [InlineData(10_000, false)]
    public async Task SetAfterRun_resumes_the_consumer_here_only_after_a_short_run(int run, bool here)
    {
        var signal = new AsyncSignal();
        var consumer = new Consumer(signal);
        Task waiting = consumer.WaitOnceAsync();

        consumer.SignalAfterRun(run);

        await Bounded.Wait(waiting, "the consumer to resume");
        Assert.Equal(here, consumer.ResumedInsideTheSignal);
    }

    [Fact]
    public void SetAfterRun_of_nothing_does_not_set_the_signal()
    {
        var signal = new AsyncSignal();
        signal.SetAfterRun(0);

        Assert.False(signal.WaitAsync().AsTask().IsCompleted);
    }

    /// <summary>
    /// A consumer that records whether it resumed inside its producer's call, on the producer's thread (no captured
    /// context, as the tunnel's loops run). A resume on the pool may reuse the producer's thread, but only after the call.
    /// </summary>
    private sealed class Consumer(AsyncSignal signal)
    {
        private volatile bool _insideTheSignal;
        private int _signallingThread;

        public bool ResumedInsideTheSignal { get; private set; }

        public async Task WaitOnceAsync()
        {
            await signal.WaitAsync().ConfigureAwait(false);
            ResumedInsideTheSignal = _insideTheSignal && Environment.CurrentManagedThreadId == _signallingThread;
        }

        public void Signal(bool runWaiterHere) => Around(() =>
        {
            if (runWaiterHere)
            {
                signal.SetAndRunWaiter();
            }
            else
            {
                signal.Set();
            }
        });

        public void SignalAfterRun(int run) => Around(() => signal.SetAfterRun(run));

        private void Around(Action call)
        {
            _signallingThread = Environment.CurrentManagedThreadId;
            _insideTheSignal = true;
            call();
            _insideTheSignal = false;
        }
    }
}
