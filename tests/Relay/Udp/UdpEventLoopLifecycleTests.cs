using FastSpinnRelay.Relay.Udp;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>Registration, posted work, ticks, faults and shutdown, on epoll and on the portable poller.</summary>
public class UdpEventLoopLifecycleTests
{
    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Register_Unregister_and_Post_work_from_other_threads(bool portable)
    {
        using var loop = NewLoop(portable);
        using var a = Open(portable);
        using var l = Open(portable);
        using var batch = new DatagramBatch();
        var recorder = new Recorder(loop);

        RunOnOtherThread(() => Assert.True(loop.Register(l, recorder)));
        Assert.True(WaitUntil(() => loop.RegisteredCount == 1));
        a.SendTo("hello"u8, l.LocalAddress);
        Assert.True(WaitUntil(() => recorder.Datagrams == 1));
        Assert.True(recorder.Batches.TryPeek(out var first) && first.OnLoopThread);

        var work = new CountingWork();
        RunOnOtherThread(() => Assert.True(loop.Post(work)));
        Assert.True(WaitUntil(() => work.Runs == 1));
        Assert.True(work.AlwaysOnLoopThread);

        // Posting a reused work object allocates nothing on the posting thread once the command queues have room
        // for the burst. There are two, swapped at every run of commands, and how a burst splits between them
        // depends on how fast the loop keeps up; so both are grown first, deterministically: while the loop is
        // held inside a posted work item, a burst lands whole in the queue it is not running, and the hold posted
        // behind that burst holds the loop again with the other queue taking posts.
        using (var hold = new HoldingWork())
        {
            Assert.True(loop.Post(hold));
            for (var queue = 0; queue < 2; queue++)
            {
                Assert.True(WaitUntil(() => hold.Entered == queue + 1));
                for (var i = 0; i < 100; i++)
                {
                    Assert.True(loop.Post(work));
                }

                Assert.True(queue == 1 || loop.Post(hold));
                hold.Release();
            }

            Assert.True(WaitUntil(() => work.Runs == 201));
        }

        var allocated = new long[3];
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                loop.Post(work);
            }

            allocated[round] = GC.GetAllocatedBytesForCurrentThread() - before;
            var expected = 201 + (100 * (round + 1));
            Assert.True(WaitUntil(() => work.Runs == expected));
        }

        Assert.Equal(new long[3], allocated);

        RunOnOtherThread(() => Assert.True(loop.Unregister(l)));
        Assert.True(WaitUntil(() => loop.RegisteredCount == 0));
        Assert.False(loop.Unregister(l));

        // The loop no longer reads the socket: what arrives now is there for anyone else.
        a.SendTo("after"u8, l.LocalAddress);
        Assert.Equal(1, ReceiveUntil(l, batch, 1, _ => { }));
        Assert.Equal(1, recorder.Datagrams);

        // It can be registered again.
        Assert.True(loop.Register(l, recorder));
        a.SendTo("again"u8, l.LocalAddress);
        Assert.True(WaitUntil(() => recorder.Datagrams == 2));
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Work_posted_from_many_threads_at_once_always_wakes_the_loop(bool portable)
    {
        // Ticks an hour apart: the loop leaves its wait only when woken, so a lost wake-up leaves a posted item unrun
        // and its bounded wait below fails. Each poster waits for its item before the next, racing the others' wakes.
        using var loop = NewLoop(portable, new UdpEventLoopOptions { TickInterval = TimeSpan.FromHours(1) });
        const int Posters = 4;
        const int Rounds = 500;
        var works = new CountingWork[Posters];
        var completed = new int[Posters];
        var threads = new Thread[Posters];
        for (var p = 0; p < Posters; p++)
        {
            var poster = p;
            works[poster] = new CountingWork();
            threads[poster] = new Thread(() =>
            {
                var work = works[poster];
                for (var round = 1; round <= Rounds; round++)
                {
                    if (!loop.Post(work) || !SpinWait.SpinUntil(() => work.Runs == round, Deadline))
                    {
                        return;
                    }

                    completed[poster] = round;
                }
            });
        }

        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            Assert.True(thread.Join(Deadline * 2));
        }

        Assert.Equal(Enumerable.Repeat(Rounds, Posters), completed);
        Assert.Equal(0, loop.CallbackFaults);
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Posting_while_the_loop_stops_is_run_or_refused_and_the_loop_ends_cleanly(bool portable)
    {
        // Posters keep waking the loop (outside its gate) while it shuts down and closes its poller.
        var loop = NewLoop(portable);
        const int Posters = 4;
        const int MaxPosts = 100_000;
        var work = new CountingWork();
        var threads = new Thread[Posters];
        for (var p = 0; p < Posters; p++)
        {
            threads[p] = new Thread(() =>
            {
                for (var i = 0; i < MaxPosts && loop.Post(work); i++)
                {
                }
            });
        }

        foreach (var thread in threads)
        {
            thread.Start();
        }

        Assert.True(WaitUntil(() => work.Runs > 0));
        Assert.True(loop.Stop());
        foreach (var thread in threads)
        {
            Assert.True(thread.Join(Deadline));
        }

        Assert.False(loop.IsRunning);
        Assert.False(loop.Post(work));
        Assert.Equal(0, loop.CallbackFaults);
        loop.Dispose();
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public async Task Invoked_work_runs_on_the_loop_thread_and_its_caller_gets_what_it_threw(bool portable)
    {
        using var loop = NewLoop(portable);
        var onLoop = false;

        await loop.InvokeAsync(() => onLoop = loop.IsLoopThread).WaitAsync(Deadline);
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => loop.InvokeAsync(() => throw new InvalidOperationException("work bug")).WaitAsync(Deadline));

        Assert.True(onLoop);
        Assert.Equal("work bug", thrown.Message);
        Assert.Equal(0, loop.CallbackFaults); // the caller has it: not a fault of the loop's
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public async Task Work_invoked_on_a_loop_that_stops_before_running_it_fails_instead_of_leaving_its_caller_waiting(bool portable)
    {
        var loop = NewLoop(portable);
        using var hold = new HoldingWork();
        Assert.True(loop.Post(hold));
        Assert.True(WaitUntil(() => hold.Entered == 1));
        var ran = false;
        var invoked = loop.InvokeAsync(() => ran = true); // queued behind the hold
        var stopping = Task.Run(loop.Stop);
        Assert.True(WaitUntil(() => !loop.Post(new CountingWork())), "the loop was not asked to stop");

        hold.Release();

        await Assert.ThrowsAsync<InvalidOperationException>(() => invoked.WaitAsync(Deadline));
        Assert.True(await stopping.WaitAsync(Deadline));
        Assert.False(ran);
        await Assert.ThrowsAsync<InvalidOperationException>(() => loop.InvokeAsync(() => ran = true).WaitAsync(Deadline)); // stopped: refused at once
        Assert.False(ran);
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void On_the_loop_thread_unregistering_is_immediate_so_the_socket_can_be_disposed_there(bool portable)
    {
        using var loop = NewLoop(portable);
        using var l = Open(portable);
        using var m = Open(portable);
        Assert.True(loop.Register(l, new Recorder(loop)));
        Assert.True(loop.Register(m, new Recorder(loop)));
        Assert.True(WaitUntil(() => loop.RegisteredCount == 2));

        var work = new CountingWork
        {
            Action = current =>
            {
                Assert.True(current.Unregister(l));
                Assert.Equal(1, current.RegisteredCount);
                l.Dispose();
                Assert.True(current.Unregister(m, dispose: true));
                Assert.True(m.IsDisposed);
            },
        };
        Assert.True(loop.Post(work));

        Assert.True(WaitUntil(() => work.Runs == 1));
        Assert.Equal(0, loop.CallbackFaults);
        Assert.Equal(0, loop.RegisteredCount);
        Assert.True(l.IsDisposed);
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void A_socket_disposed_elsewhere_leaves_the_loop_cleanly(bool portable)
    {
        using var loop = NewLoop(portable);
        using var a = Open(portable);
        using var l = Open(portable);
        using var b = Open(portable);
        var doomed = Open(portable);
        Assert.True(loop.Register(doomed, new Recorder(loop)));
        Assert.True(loop.Register(l, new Forwarder(l, b.LocalAddress)));
        Assert.True(WaitUntil(() => loop.RegisteredCount == 2));

        RunOnOtherThread(doomed.Dispose);

        Assert.True(WaitUntil(() => loop.RegisteredCount == 1));
        Assert.Equal(100, Pump(a, l.LocalAddress, b, 100));
        Assert.True(loop.Unregister(l, dispose: true));
        Assert.True(WaitUntil(() => l.IsDisposed && loop.RegisteredCount == 0));
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Tick_handlers_run_periodically_on_the_loop_thread(bool portable)
    {
        using var loop = NewLoop(portable, new UdpEventLoopOptions { TickInterval = TimeSpan.FromMilliseconds(5) });
        var ticks = new TickCounter();

        Assert.True(loop.AddTickHandler(ticks));
        Assert.True(WaitUntil(() => ticks.Count >= 3));
        Assert.True(ticks.AlwaysOnLoopThread);
        Assert.True(loop.RemoveTickHandler(ticks));
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Callback_exceptions_are_counted_reported_and_survived(bool portable)
    {
        var sink = new RecordingSink();
        using var loop = NewLoop(portable, new UdpEventLoopOptions { ErrorSink = sink, TickInterval = TimeSpan.FromMilliseconds(5) });
        using var a = Open(portable);
        using var l = Open(portable);
        var recorder = new Recorder(loop) { ThrowOnFirstBatch = true };
        Assert.True(loop.Register(l, recorder));
        Assert.True(loop.Post(new CountingWork { Action = _ => throw new InvalidOperationException("work bug") }));
        Assert.True(loop.AddTickHandler(new TickCounter { Throw = true }));

        a.SendTo("one"u8, l.LocalAddress);
        Assert.True(WaitUntil(() => recorder.Datagrams == 1));
        a.SendTo("two"u8, l.LocalAddress);
        Assert.True(WaitUntil(() => recorder.Datagrams == 2 && loop.CallbackFaults >= 3));

        Assert.True(loop.IsRunning);
        Assert.Equal(loop.CallbackFaults, sink.Faults.Count);
        Assert.Contains(sink.Faults, e => e.Message == "receiver bug");
        Assert.Contains(sink.Faults, e => e.Message == "work bug");
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Dispose_is_bounded_idempotent_and_leaves_sockets_open(bool portable)
    {
        var loop = NewLoop(portable, new UdpEventLoopOptions { StopTimeout = TimeSpan.FromSeconds(10) });
        using var a = Open(portable);
        using var l = Open(portable);
        using var batch = new DatagramBatch();
        Assert.True(loop.Register(l, new Recorder(loop)));
        Assert.True(WaitUntil(() => loop.RegisteredCount == 1));

        Assert.True(loop.Stop());
        loop.Dispose();
        loop.Dispose();

        Assert.False(loop.IsRunning);
        Assert.Equal(0, loop.RegisteredCount);
        Assert.False(loop.Post(new CountingWork()));
        Assert.False(loop.Register(a, new Recorder(loop)));
        Assert.False(l.IsDisposed);
        a.SendTo("still open"u8, l.LocalAddress);
        Assert.Equal(1, ReceiveUntil(l, batch, 1, _ => { }));

        // Both sockets are free to join another loop.
        using var next = NewLoop(portable);
        Assert.True(next.Register(l, new Recorder(next)));
        Assert.True(next.Register(a, new Recorder(next)));
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Stop_from_the_loop_thread_ends_the_loop_after_the_current_iteration(bool portable)
    {
        using var loop = NewLoop(portable);
        var stopped = new CountingWork { Action = current => Assert.False(current.Stop()) };

        Assert.True(loop.Post(stopped));

        Assert.True(WaitUntil(() => !loop.IsRunning));
        Assert.Equal(0, loop.CallbackFaults);
    }

    [Fact]
    public void Registering_a_socket_twice_is_a_programming_error()
    {
        using var loop = new UdpEventLoop();
        using var other = new UdpEventLoop();
        using var l = Open(portable: false);
        Assert.True(loop.Register(l, new Recorder(loop)));

        Assert.Throws<InvalidOperationException>(() => loop.Register(l, new Recorder(loop)));
        Assert.Throws<InvalidOperationException>(() => other.Register(l, new Recorder(other)));
        Assert.False(other.Unregister(l));
    }

    [Fact]
    public void Options_report_every_problem_at_once()
    {
        var options = new UdpEventLoopOptions { BatchSize = 0, TickInterval = TimeSpan.Zero, Name = " " };

        Assert.Equal(3, options.GetProblems().Count);
        Assert.Throws<ArgumentException>(() => new UdpEventLoop(options));
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(1000, true)]
    [InlineData(1001, false)]
    public void Spin_before_sleep_is_from_zero_to_one_millisecond(int microseconds, bool valid)
    {
        var options = new UdpEventLoopOptions { SpinBeforeSleep = TimeSpan.FromMicroseconds(microseconds) };

        Assert.Equal(valid, options.GetProblems().Count == 0);
    }

    private static void RunOnOtherThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        Assert.True(thread.Join(Deadline));
        if (failure is not null)
        {
            throw new Xunit.Sdk.XunitException("Failed on the other thread: " + failure);
        }
    }

    private sealed class CountingWork : IUdpLoopWork
    {
        private int _runs;

        public Action<UdpEventLoop>? Action { get; init; }

        public int Runs => Volatile.Read(ref _runs);

        public bool AlwaysOnLoopThread { get; private set; } = true;

        public void Execute(UdpEventLoop loop)
        {
            AlwaysOnLoopThread &= loop.IsLoopThread;
            try
            {
                Action?.Invoke(loop);
            }
            finally
            {
                Interlocked.Increment(ref _runs); // after the action, so a waiter sees its effects
            }
        }
    }

    /// <summary>Holds the loop thread inside a posted work item until released (at most <see cref="Deadline"/>).</summary>
    private sealed class HoldingWork : IUdpLoopWork, IDisposable
    {
        private readonly SemaphoreSlim _release = new(0);
        private int _entered;

        /// <summary>How many times the loop has entered the hold.</summary>
        public int Entered => Volatile.Read(ref _entered);

        public void Release() => _release.Release();

        public void Execute(UdpEventLoop loop)
        {
            Interlocked.Increment(ref _entered);
            _release.Wait(Deadline);
        }

        public void Dispose() => _release.Dispose();
    }

    private sealed class TickCounter : IUdpTickHandler
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public bool Throw { get; init; }

        public bool AlwaysOnLoopThread { get; private set; } = true;

        public void OnTick(UdpEventLoop loop, long timestamp)
        {
            AlwaysOnLoopThread &= loop.IsLoopThread;
            Interlocked.Increment(ref _count);
            if (Throw)
            {
                throw new InvalidOperationException("tick bug");
            }
        }
    }
}
