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

    private struct Drops : IDropCounter
    {
        public List<(ushort, int)> Seen;

        public Drops() => Seen = [];

        public readonly void Dropped(ushort channel, int datagramLength) => Seen.Add((channel, datagramLength));
    }
}
