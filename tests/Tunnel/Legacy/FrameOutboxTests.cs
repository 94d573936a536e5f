using FastSpinnRelay.Tunnel.Legacy;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Tunnel.Tests.Legacy;

public class FrameOutboxTests
{
    [Fact]
    public void Queues_whole_frames_with_big_endian_lengths_and_hands_them_over_in_one_block()
    {
        var outbox = new FrameOutbox(4096);

        Assert.True(outbox.TryEnqueue([0xAA, 0xBB, 0xCC]));
        Assert.True(outbox.TryEnqueue([]));
        Assert.True(outbox.TryEnqueue([0x01]));

        Assert.Equal(4 + 3 + 4 + 4 + 1, outbox.PendingBytes);
        Assert.True(outbox.TryTake(out var frames, out var count));
        Assert.Equal(3, count);
        Assert.Equal(new byte[] { 0, 0, 0, 3, 0xAA, 0xBB, 0xCC, 0, 0, 0, 0, 0, 0, 0, 1, 0x01 }, frames.ToArray());
        Assert.Equal(0, outbox.PendingBytes);
        Assert.False(outbox.TryTake(out _, out _));
        outbox.Release();
        Assert.Equal(3, outbox.Queued);
        Assert.Equal(0, outbox.Dropped);
    }

    [Fact]
    public void A_frame_that_does_not_fit_is_dropped_and_counted_never_split()
    {
        var outbox = new FrameOutbox(4096);
        Assert.True(outbox.TryEnqueue(new byte[4000]));

        Assert.False(outbox.TryEnqueue(new byte[93])); // 4000 + 4 + 93 + 4 = 4101 > 4096
        Assert.True(outbox.TryEnqueue(new byte[88]));  // exactly full
        Assert.False(outbox.TryEnqueue([]));
        Assert.False(outbox.TryEnqueue(new byte[5000]));

        Assert.Equal(3, outbox.Dropped);
        Assert.Equal(4096, outbox.PendingBytes);
    }

    [Fact]
    public void Frames_queued_while_a_block_is_being_written_go_in_the_next_block()
    {
        var outbox = new FrameOutbox(4096);
        outbox.TryEnqueue([1]);
        Assert.True(outbox.TryTake(out var first, out _));
        outbox.TryEnqueue([2]);
        outbox.TryEnqueue([3]);

        Assert.Equal(new byte[] { 0, 0, 0, 1, 1 }, first.ToArray());
        outbox.Release();
        Assert.True(outbox.TryTake(out var second, out var count));
        Assert.Equal(2, count);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 2, 0, 0, 0, 1, 3 }, second.ToArray());
    }

    [Fact]
    public void An_abandoned_block_and_what_was_waiting_at_close_count_as_dropped()
    {
        var outbox = new FrameOutbox(4096);
        outbox.TryEnqueue([1]);
        outbox.TryEnqueue([2]);
        outbox.TryTake(out _, out _);
        outbox.Abandon();
        outbox.TryEnqueue([3]);

        outbox.Close();

        Assert.Equal(3, outbox.Dropped);
        Assert.True(outbox.IsClosed);
        Assert.False(outbox.TryEnqueue([4]));
        Assert.Equal(4, outbox.Dropped);
        Assert.False(outbox.TryTake(out _, out _));
    }

    [Fact]
    public async Task Wake_before_or_after_the_wait_releases_it_once()
    {
        var outbox = new FrameOutbox();
        outbox.Wake();
        outbox.Wake();
        await outbox.WaitAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(15));

        var pending = outbox.WaitAsync().AsTask();
        Assert.False(pending.IsCompleted);
        outbox.Wake();
        await pending.WaitAsync(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public void Enqueue_take_and_wake_allocate_nothing()
    {
        var outbox = new FrameOutbox();
        var datagram = new byte[282];
        Cycle(outbox, datagram);

        Allocations.AssertNone(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                Cycle(outbox, datagram);
            }
        });
    }

    [Fact]
    public void Rejects_capacities_outside_its_range()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameOutbox(FrameOutbox.MinCapacity - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameOutbox((16 * 1024 * 1024) + 1));
    }

    private static void Cycle(FrameOutbox outbox, byte[] datagram)
    {
        for (var j = 0; j < 64; j++)
        {
            outbox.TryEnqueue(datagram);
        }

        outbox.Wake();
        Consume(outbox.WaitAsync());
        outbox.TryTake(out _, out _);
        outbox.Release();
    }

    /// <summary>The wait completed synchronously (the outbox was woken first); consume it.</summary>
    private static void Consume(ValueTask wait)
    {
        Assert.True(wait.IsCompletedSuccessfully);
        wait.GetAwaiter().GetResult();
    }

    [Fact]
    public void An_appender_queues_a_run_exactly_as_TryEnqueue_would_and_drops_what_does_not_fit()
    {
        var single = new FrameOutbox(4096);
        var run = new FrameOutbox(4096);
        byte[][] datagrams = [[0xAA, 0xBB, 0xCC], [], new byte[3000], new byte[1100], [0x01]];

        var singleResults = datagrams.Select(d => single.TryEnqueue(d)).ToArray();
        var runResults = new bool[datagrams.Length];
        int pending;
        using (var appender = run.BeginAppend())
        {
            for (var i = 0; i < datagrams.Length; i++)
            {
                runResults[i] = appender.TryEnqueue(datagrams[i]);
            }

            pending = appender.PendingBytes;
        }

        Assert.Equal([true, true, true, false, true], runResults);
        Assert.Equal(singleResults, runResults);
        Assert.Equal(single.PendingBytes, pending);
        Assert.Equal(single.Queued, run.Queued);
        Assert.Equal(1, run.Dropped);
        Assert.True(single.TryTake(out var expected, out var expectedCount));
        Assert.True(run.TryTake(out var actual, out var actualCount));
        Assert.Equal(expectedCount, actualCount);
        Assert.Equal(expected.ToArray(), actual.ToArray());
    }

    [Fact]
    public async Task An_appender_releases_the_lock_when_disposed_and_a_closed_outbox_refuses_its_frames()
    {
        var outbox = new FrameOutbox(4096);
        AppendOne(outbox);

        // Another thread can take the lock now (bounded wait, no timing threshold on the result).
        Assert.True(await Task.Run(() => outbox.TryEnqueue([2])).WaitAsync(TimeSpan.FromSeconds(10)));

        outbox.Close();
        using (var closed = outbox.BeginAppend())
        {
            Assert.False(closed.TryEnqueue([3]));
        }

        Assert.Equal(2, outbox.Queued);
    }

    [Fact]
    public void The_room_observer_hears_once_per_take_after_a_refusal_and_never_otherwise()
    {
        var observer = new CountingRoomObserver();
        var outbox = new FrameOutbox(4096) { RoomObserver = observer };

        Assert.True(outbox.TryEnqueue(new byte[100]));
        Assert.True(outbox.TryTake(out _, out _));
        outbox.Release();
        Assert.Equal(0, observer.Calls); // nothing was refused

        Assert.True(outbox.TryEnqueue(new byte[4092]));
        Assert.False(outbox.TryEnqueue([1])); // full: refused
        using (var appender = outbox.BeginAppend())
        {
            Assert.False(appender.TryEnqueue([2]));
        }

        Assert.Equal(0, observer.Calls); // told on the take, not on the refusal
        Assert.True(outbox.TryTake(out _, out _));
        Assert.Equal(1, observer.Calls);
        Assert.Same(outbox, observer.Last);
        outbox.Release();

        Assert.True(outbox.TryEnqueue([3]));
        Assert.True(outbox.TryTake(out _, out _));
        Assert.Equal(1, observer.Calls); // no refusal since the last take

        outbox.Close();
        Assert.False(outbox.TryEnqueue([4])); // refused for being closed: there will be no room
        Assert.False(outbox.TryTake(out _, out _));
        Assert.Equal(1, observer.Calls);
    }

    private static void AppendOne(FrameOutbox outbox)
    {
        var appender = outbox.BeginAppend();
        Assert.True(appender.TryEnqueue([1]));
        appender.Dispose();
        appender.Dispose(); // idempotent
    }

    private sealed class CountingRoomObserver : IFrameOutboxRoomObserver
    {
        public int Calls { get; private set; }

        public FrameOutbox? Last { get; private set; }

        public void OnRoom(FrameOutbox outbox)
        {
            Calls++;
            Last = outbox;
        }
    }
}
