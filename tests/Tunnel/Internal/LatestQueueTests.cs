using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Internal;

namespace FastSpinnRelay.Tunnel.Tests.Internal;

public class LatestQueueTests
{
    [Fact]
    public void The_oldest_datagrams_are_dropped_and_reported_to_make_room()
    {
        var queue = new LatestQueue(capacity: 100);
        var drops = new Drops();
        for (byte i = 1; i <= 5; i++)
        {
            Assert.True(queue.Enqueue((ushort)(i * 2), new byte[26], ref drops)); // 30-byte records
        }

        Assert.Equal([(2, 26), (4, 26)], drops.Seen);
        Assert.Equal(3, queue.Count);

        Span<byte> batch = stackalloc byte[1000];
        int length = queue.Dequeue(batch);
        Assert.Equal(90, length);
        Assert.Equal(TunnelFrameError.None, TunnelBatchRecords.Validate(batch[..length]));
        TunnelBatchRecordEnumerator records = TunnelBatchRecords.Enumerate(batch[..length]);
        var channels = new List<ushort>();
        while (records.MoveNext())
        {
            channels.Add(records.Channel);
        }

        Assert.Equal([6, 8, 10], channels);
        Assert.True(queue.IsEmpty);
    }

    [Fact]
    public void A_batch_takes_whole_records_up_to_its_size_and_an_oversized_datagram_is_refused()
    {
        var queue = new LatestQueue(capacity: 1000);
        var drops = new Drops();
        for (int i = 0; i < 10; i++)
        {
            queue.Enqueue(2, new byte[46], ref drops); // 50-byte records
        }

        Assert.Equal(100, queue.Dequeue(new byte[149]));
        Assert.Equal(8, queue.Count);
        Assert.False(queue.Enqueue(2, new byte[1000], ref drops));
        Assert.Empty(drops.Seen);
    }

    [Fact]
    public void A_batch_taken_across_the_ring_s_wrap_point_keeps_the_order()
    {
        var queue = new LatestQueue(capacity: 100);
        var drops = new Drops();
        for (byte channel = 1; channel <= 3; channel++)
        {
            queue.Enqueue(channel, new byte[26], ref drops); // 30-byte records at 0, 30, 60
        }

        Assert.Equal(30, queue.Dequeue(new byte[59])); // channel 1: room at the front
        queue.Enqueue(4, new byte[26], ref drops); // does not fit after 90: starts again at 0

        var batch = new byte[1000];
        int length = queue.Dequeue(batch);

        Assert.Equal(90, length);
        Assert.Equal([2, 3, 4], Channels(batch.AsSpan(0, length)));
        Assert.True(queue.IsEmpty);
        Assert.Empty(drops.Seen);
    }

    [Fact]
    public void A_datagram_longer_than_a_datagram_may_be_is_refused_even_when_the_queue_could_hold_it()
    {
        var queue = new LatestQueue(capacity: 128 * 1024);
        var drops = new Drops();
        Assert.False(queue.Enqueue(3, new byte[TunnelDataFrame.MaxDatagramLength + 1], ref drops));
        Assert.True(queue.Enqueue(3, new byte[TunnelDataFrame.MaxDatagramLength], ref drops));
        Assert.Equal(1, queue.Count);
        Assert.Empty(drops.Seen);
    }

    [Fact]
    public void A_batch_smaller_than_what_is_queued_takes_whole_records_and_leaves_the_rest_in_order()
    {
        var queue = new LatestQueue(capacity: 4096);
        var drops = new Drops();
        for (ushort channel = 1; channel <= 40; channel++)
        {
            queue.Enqueue(channel, new byte[channel % 7], ref drops);
        }

        var channels = new List<ushort>();
        var batch = new byte[50];
        while (!queue.IsEmpty)
        {
            int length = queue.Dequeue(batch);
            Assert.InRange(length, 1, 50);
            channels.AddRange(Channels(batch.AsSpan(0, length)));
        }

        Assert.Equal(Enumerable.Range(1, 40).Select(c => (ushort)c), channels);
    }

    [Fact]
    public void Random_traffic_comes_out_whole_in_order_and_only_the_reported_drops_are_missing()
    {
        var random = new Random(1234);
        var queue = new LatestQueue(capacity: 4096);
        var drops = new Drops();
        var expected = new Queue<(ushort Channel, byte[] Datagram)>();
        var batch = new byte[1500];
        for (int step = 0; step < 20_000; step++)
        {
            if (random.Next(3) != 0)
            {
                var datagram = new byte[random.Next(0, 300)];
                random.NextBytes(datagram);
                var channel = (ushort)random.Next(1, 6);
                Assert.True(queue.Enqueue(channel, datagram, ref drops));
                expected.Enqueue((channel, datagram));
                foreach (var _ in drops.Seen)
                {
                    expected.Dequeue(); // the oldest were dropped, and reported
                }

                drops.Seen.Clear();
                continue;
            }

            int length = queue.Dequeue(batch.AsSpan(0, random.Next(1, batch.Length)));
            TunnelBatchRecordEnumerator records = TunnelBatchRecords.Enumerate(batch.AsSpan(0, length));
            while (records.MoveNext())
            {
                (ushort channel, byte[] datagram) = expected.Dequeue();
                Assert.Equal(channel, records.Channel);
                Assert.True(records.Datagram.SequenceEqual(datagram));
            }

            Assert.Equal(expected.Count, queue.Count);
        }
    }

    private static List<ushort> Channels(ReadOnlySpan<byte> records)
    {
        var channels = new List<ushort>();
        TunnelBatchRecordEnumerator walk = TunnelBatchRecords.Enumerate(records);
        while (walk.MoveNext())
        {
            channels.Add(walk.Channel);
        }

        return channels;
    }

    private struct Drops : IDropCounter
    {
        public List<(ushort, int)> Seen;

        public Drops() => Seen = [];

        public readonly void Dropped(ushort channel, int datagramLength) => Seen.Add((channel, datagramLength));
    }
}
