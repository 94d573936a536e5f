using System.Buffers.Binary;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Relay.Spalloc.Server.Internal;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

public class ProxySendQueueTests
{
    private const int Limit = 64 << 10;

    [Fact]
    public void Frames_come_out_in_order_as_whole_msg_frames()
    {
        var queue = new ProxySendQueue(Limit);
        Assert.Equal(QueueResult.Queued, queue.TryAppendMessage(7, [1, 2, 3], droppable: true));
        Assert.Equal(QueueResult.Queued, queue.TryAppendFrame([9, 9, 9, 9]));
        var batch = queue.TryTake()!;
        Assert.Equal(2, batch.Count);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 7, 0, 0, 0, 1, 2, 3 }, batch.Frame(0).ToArray());
        Assert.Equal(new byte[] { 9, 9, 9, 9 }, batch.Frame(1).ToArray());
        Assert.Null(queue.TryTake());
        queue.Return(batch);
        Assert.Null(queue.TryTake());
    }

    [Fact]
    public void Under_pressure_live_frames_go_oldest_first_and_kept_frames_survive()
    {
        var counters = new SpallocProxyCounters();
        var queue = new ProxySendQueue(Limit, counters);
        var payload = new byte[250];
        uint sequence = 0;
        var keptSequences = new List<uint>();
        for (var i = 0; i < 2000; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(payload, sequence);
            var kept = i % 100 == 0;
            if (kept)
            {
                keptSequences.Add(sequence);
            }

            Assert.Equal(QueueResult.Queued, queue.TryAppendMessage(1, payload, droppable: !kept));
            sequence++;
        }

        var batch = queue.TryTake()!;
        Assert.True(batch.Bytes <= Limit);
        var seen = Enumerable.Range(0, batch.Count).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(batch.Frame(i).Span[8..])).ToList();
        Assert.Equal(seen.Order().ToList(), seen);                     // order kept
        Assert.All(keptSequences, s => Assert.Contains(s, seen));      // every kept frame is there
        Assert.Equal(1999u, seen[^1]);                                 // the newest live frame is there
        Assert.Equal(2000 - batch.Count, queue.DroppedLive);
        Assert.Equal(queue.DroppedLive, counters.LiveFramesDropped);
        Assert.Equal(0, queue.DroppedReplies);
    }

    [Fact]
    public void When_only_kept_frames_are_left_new_frames_are_refused_and_counted()
    {
        var queue = new ProxySendQueue(Limit);
        var payload = new byte[1000];
        var accepted = 0;
        while (queue.TryAppendMessage(1, payload, droppable: false) == QueueResult.Queued)
        {
            accepted++;
        }

        Assert.Equal(Limit / 1008, accepted);
        Assert.Equal(1, queue.DroppedReplies);
        Assert.Equal(QueueResult.DroppedLive, queue.TryAppendMessage(1, payload, droppable: true));
        Assert.Equal(1, queue.DroppedLive);
    }

    [Fact]
    public void The_second_batch_fills_while_the_first_is_in_flight_and_completion_stops_appends()
    {
        var queue = new ProxySendQueue(Limit);
        queue.TryAppendFrame([1]);
        var first = queue.TryTake()!;
        Assert.Equal(QueueResult.Queued, queue.TryAppendFrame([2]));
        Assert.Null(queue.TryTake());                                   // the in-flight batch has not come back
        queue.Return(first);
        queue.Complete(discardPending: false);
        Assert.Equal(QueueResult.Closed, queue.TryAppendFrame([3]));
        Assert.Equal(new byte[] { 2 }, queue.TryTake()!.Frame(0).ToArray());
        Assert.True(queue.IsCompleted);
    }

    [Fact]
    public async Task The_signal_wakes_a_waiter_and_remembers_a_set_before_the_wait()
    {
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set();
        Assert.True(signal.WaitAsync().AsTask().IsCompleted);
        var pending = signal.WaitAsync().AsTask();
        Assert.False(pending.IsCompleted);
        signal.Set();
        await pending.WaitAsync(FastSpinnRelay.Relay.Tests.TestSupport.Loopback.Limit);
        Assert.False(signal.WaitAsync().AsTask().IsCompleted);
    }
}
