using FastSpinnRelay.Relay.Udp;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>
/// UDP GRO receives (real sockets on loopback, where a GSO group reaches a UDP_GRO socket as one message): the
/// receiver still sees every datagram once, whole, in order, with its sender, whatever the batch size.
/// </summary>
public class CoalescedReceiveTests
{
    [Theory]
    [InlineData(24, 64)]
    [InlineData(282, 64)]
    [InlineData(1042, 64)]
    [InlineData(24, 5)]
    public void A_segmented_train_arrives_as_the_same_datagrams_in_order(int size, int batchCapacity)
    {
        using var receiver = Open(portable: false);
        using var sender = Open(portable: false, new UdpSocketOptions { SendSlots = 256 });
        Assert.True(receiver.ReceivesCoalesced);
        const int count = 500;
        var payload = new byte[size];
        for (var i = 0; i < count; i++)
        {
            Fill(payload, i);
            sender.QueueSendTo(payload, receiver.LocalAddress);
        }

        Assert.True(WaitUntil(() => sender.FlushSends() == UdpStatus.Ok && sender.QueuedSendCount == 0));

        using var batch = new DatagramBatch(batchCapacity);
        var next = 0;
        var spilled = false;
        var received = ReceiveUntil(receiver, batch, count, b =>
        {
            Assert.InRange(b.Count, 1, batchCapacity);
            spilled |= receiver.HasPendingReceive(b);
            for (var i = 0; i < b.Count; i++)
            {
                var expected = new byte[size];
                Fill(expected, next++);
                Assert.Equal(expected, b.GetPayload(i).ToArray());
                Assert.False(b.IsTruncated(i));
                Assert.Equal(sender.LocalAddress, b.GetSource(i));
            }
        });

        Assert.Equal(count, received);
        Assert.Equal(count, receiver.GetCounters().DatagramsIn);
        Assert.Equal((long)count * size, receiver.GetCounters().BytesIn);
        if (batchCapacity < 64)
        {
            Assert.True(spilled, "a coalesced message larger than the batch is handed out over several receives");
        }
    }

    [Fact]
    public void Datagrams_longer_than_the_slot_are_cut_flagged_and_counted_one_by_one()
    {
        using var receiver = Open(portable: false);
        using var sender = Open(portable: false);
        var payload = new byte[100];
        for (var i = 0; i < 20; i++)
        {
            Fill(payload, i);
            sender.QueueSendTo(payload, receiver.LocalAddress);
        }

        Assert.True(WaitUntil(() => sender.FlushSends() == UdpStatus.Ok && sender.QueuedSendCount == 0));
        using var batch = new DatagramBatch(64, slotSize: 40);
        var next = 0;
        Assert.Equal(20, ReceiveUntil(receiver, batch, 20, b =>
        {
            for (var i = 0; i < b.Count; i++)
            {
                var expected = new byte[100];
                Fill(expected, next++);
                Assert.True(b.IsTruncated(i));
                Assert.Equal(expected.AsSpan(0, 40).ToArray(), b.GetPayload(i).ToArray());
            }
        }));
        Assert.Equal(20, receiver.GetCounters().Truncated);
    }

    [Fact]
    public void A_batch_reused_for_another_socket_before_it_was_emptied_counts_the_lost_datagrams()
    {
        using var first = Open(portable: false);
        using var second = Open(portable: false);
        using var sender = Open(portable: false);
        for (var i = 0; i < 40; i++)
        {
            sender.QueueSendTo(new byte[24], first.LocalAddress);
        }

        sender.QueueSendTo(new byte[24], second.LocalAddress);
        Assert.True(WaitUntil(() => sender.FlushSends() == UdpStatus.Ok && sender.QueuedSendCount == 0));
        Assert.True(WaitUntil(() => first.NetSocket.Available > 0 && second.NetSocket.Available > 0));

        using var batch = new DatagramBatch(8);
        Assert.Equal(UdpStatus.Ok, first.Receive(batch));
        var taken = batch.Count;
        Assert.True(first.HasPendingReceive(batch));
        Assert.True(WaitUntil(() => second.Receive(batch) == UdpStatus.Ok));

        Assert.False(first.HasPendingReceive(batch));
        Assert.Equal(40 - taken, first.GetCounters().ReceiveErrors);
    }

    [Fact]
    public void Plain_datagrams_fill_one_batch_per_read_as_without_coalescing()
    {
        using var receiver = Open(portable: false);
        using var sender = Open(portable: false, new UdpSocketOptions { SendSegmentation = false });
        for (var i = 0; i < 30; i++)
        {
            sender.QueueSendTo(new byte[24], receiver.LocalAddress);
        }

        Assert.True(WaitUntil(() => sender.FlushSends() == UdpStatus.Ok && sender.QueuedSendCount == 0));
        Assert.True(WaitUntil(() => receiver.NetSocket.Available > 0));
        using var batch = new DatagramBatch(8);
        Assert.True(WaitUntil(() => receiver.Receive(batch) == UdpStatus.Ok));
        Assert.False(receiver.HasPendingReceive(batch));
    }

    [Fact]
    public void A_batch_read_coalesced_then_plain_shows_each_read_its_own_datagrams()
    {
        using var coalescing = Open(portable: false);
        using var plain = Open(portable: false, new UdpSocketOptions { ReceiveCoalescing = false });
        using var trainSender = Open(portable: false);
        using var oneSender = Open(portable: false);
        var payload = new byte[24];
        for (var i = 0; i < 10; i++)
        {
            Fill(payload, i);
            trainSender.QueueSendTo(payload, coalescing.LocalAddress);
        }

        Assert.True(WaitUntil(() => trainSender.FlushSends() == UdpStatus.Ok && trainSender.QueuedSendCount == 0));
        var single = new byte[50];
        Fill(single, 99);
        Assert.Equal(UdpStatus.Ok, oneSender.SendTo(single, plain.LocalAddress));

        using var batch = new DatagramBatch();
        Assert.Equal(10, ReceiveUntil(coalescing, batch, 10, b => Assert.Equal(trainSender.LocalAddress, b.GetSource(0))));
        Assert.Equal(1, ReceiveUntil(plain, batch, 1, b =>
        {
            Assert.Equal(single, b.GetPayload(0).ToArray());
            Assert.Equal(50, b.GetLength(0));
            Assert.Equal(oneSender.LocalAddress, b.GetSource(0));
            Assert.False(b.IsTruncated(0));
        }));
    }
}
