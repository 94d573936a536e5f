using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Relay.Udp.Internal;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>
/// In-place sends (<see cref="UdpInPlaceBatch"/>): datagrams sent from where they lie, runs of one size as UDP GSO
/// groups whose iovecs are the datagrams. The grouping rules first (pure), then real sockets on loopback, injected
/// failures, order behind a socket's queue, and no allocation.
/// </summary>
public class InPlaceSendTests
{
    [Fact]
    public void A_run_of_one_size_is_one_message_and_adjacent_datagrams_share_an_iovec()
    {
        var memory = Pinned(4096);
        var batch = new UdpInPlaceBatch();
        Assert.True(batch.TryAdd(memory.AsSpan(0, 24)));
        Assert.True(batch.TryAdd(memory.AsSpan(24, 24)));   // adjacent: same iovec
        Assert.True(batch.TryAdd(memory.AsSpan(52, 24)));   // a 4-byte gap (a frame header): new iovec
        Assert.True(batch.TryAdd(memory.AsSpan(80, 10)));   // shorter: ends the group
        Assert.True(batch.TryAdd(memory.AsSpan(100, 24)));  // a new group
        Assert.True(batch.TryAdd(memory.AsSpan(200, 30)));  // another size
        Assert.True(batch.TryAdd(memory.AsSpan(300, 30)));
        Assert.True(batch.TryAdd(memory.AsSpan(400, 1500))); // over the segment limit: alone
        Assert.Equal(8, batch.Count);
        Assert.Equal((24 * 4) + 10 + (30 * 2) + 1500, batch.Bytes);

        Assert.Equal(4, batch.Build(0, segment: true));
        Assert.Equal([4, 1, 2, 1], Enumerable.Range(0, 4).Select(batch.DatagramsIn));
        Assert.Equal([3, 1, 2, 1], Enumerable.Range(0, 4).Select(batch.IovecsIn));
        Assert.Equal([24, 0, 30, 0], Enumerable.Range(0, 4).Select(batch.SegmentSizeOf));

        // Building from a later datagram starts there.
        Assert.Equal(3, batch.Build(4, segment: true));
        Assert.Equal([1, 2, 1], Enumerable.Range(0, 3).Select(batch.DatagramsIn));
    }

    [Fact]
    public void Groups_stay_within_the_segment_count_and_byte_limits()
    {
        var memory = Pinned(200 * 1042);
        var batch = new UdpInPlaceBatch();
        for (var i = 0; i < 100; i++)
        {
            Assert.True(batch.TryAdd(memory.AsSpan(i * 24, 24)));
        }

        Assert.Equal(2, batch.Build(0, segment: true));
        Assert.Equal((64, 36), (batch.DatagramsIn(0), batch.DatagramsIn(1)));
        Assert.Equal((1, 1), (batch.IovecsIn(0), batch.IovecsIn(1)));

        batch.Clear();
        for (var i = 0; i < 60; i++)
        {
            Assert.True(batch.TryAdd(memory.AsSpan(i * 1042, 1042)));
        }

        Assert.Equal(2, batch.Build(0, segment: true));
        Assert.Equal((57, 3), (batch.DatagramsIn(0), batch.DatagramsIn(1))); // 57 x 1042 <= 60,000 bytes
    }

    [Fact]
    public void Without_segmentation_every_datagram_is_its_own_message_at_most_a_call_s_worth_at_a_time()
    {
        var memory = Pinned(4096);
        var batch = new UdpInPlaceBatch(capacity: 100);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(batch.TryAdd(memory.AsSpan(i * 24, 24)));
        }

        Assert.False(batch.TryAdd(memory.AsSpan(0, 24)));
        Assert.Equal(UdpInPlaceBatch.MaxMessages, batch.Build(0, segment: false));
        Assert.All(Enumerable.Range(0, UdpInPlaceBatch.MaxMessages), m => Assert.Equal((1, 0), (batch.DatagramsIn(m), batch.SegmentSizeOf(m))));
        Assert.Equal(100 - UdpInPlaceBatch.MaxMessages, batch.Build(UdpInPlaceBatch.MaxMessages, segment: false));
    }

    [Theory]
    [InlineData(24, true)]
    [InlineData(282, true)]
    [InlineData(1042, true)]
    [InlineData(282, false)]
    public void Datagrams_sent_in_place_arrive_as_the_same_datagrams_in_order(int size, bool segmenting)
    {
        using var plain = Open(portable: false, new UdpSocketOptions { ReceiveCoalescing = false });
        using var coalescing = Open(portable: false);
        foreach (var receiver in new[] { plain, coalescing })
        {
            using var sender = Open(portable: false, new UdpSocketOptions { RemoteEndPoint = receiver.LocalEndPoint, SendSegmentation = segmenting });
            const int count = 150;
            var memory = Framed(size, count, gap: 4); // like a stream's receive buffer: a 4-byte header before each
            var batch = new UdpInPlaceBatch();
            for (var i = 0; i < count; i++)
            {
                Assert.True(batch.TryAdd(memory.AsSpan((i * (size + 4)) + 4, size)));
            }

            Assert.Equal(count, sender.SendInPlace(batch, out var bytes));
            Assert.Equal((long)count * size, bytes);
            Assert.True(batch.IsEmpty);
            ExpectInOrder(receiver, size, count, sender.LocalAddress);
            Assert.Equal(count, sender.GetCounters().DatagramsOut);
        }
    }

    [Fact]
    public void The_portable_path_sends_them_one_by_one()
    {
        using var receiver = Open(portable: false);
        using var sender = Open(portable: true, new UdpSocketOptions { RemoteEndPoint = receiver.LocalEndPoint });
        var memory = Framed(100, 20, gap: 0);
        var batch = new UdpInPlaceBatch();
        for (var i = 0; i < 20; i++)
        {
            batch.TryAdd(memory.AsSpan(i * 100, 100));
        }

        Assert.Equal(20, sender.SendInPlace(batch, out _));
        ExpectInOrder(receiver, 100, 20, sender.LocalAddress);
    }

    [Fact]
    public void Queued_in_place_they_follow_what_the_socket_had_queued()
    {
        using var receiver = Open(portable: false);
        using var sender = Open(portable: false, new UdpSocketOptions { RemoteEndPoint = receiver.LocalEndPoint });
        var payload = new byte[282];
        for (var i = 0; i < 10; i++)
        {
            Fill(payload, i);
            Assert.Equal(UdpStatus.Ok, sender.QueueSend(payload));
        }

        var memory = Framed(282, 30, gap: 0, firstSequence: 10);
        var batch = new UdpInPlaceBatch();
        for (var i = 0; i < 30; i++)
        {
            batch.TryAdd(memory.AsSpan(i * 282, 282));
        }

        Assert.Equal(30, sender.QueueSendInPlace(batch, out var bytes));
        Assert.Equal(30 * 282, bytes);
        Assert.Equal(0, sender.QueuedSendCount);
        ExpectInOrder(receiver, 282, 40, sender.LocalAddress);
    }

    [Fact]
    public void Datagrams_from_another_socket_do_not_disturb_the_order_check()
    {
        // What a stray from a parallel test looks like: another socket sending to this receiver's port meanwhile.
        using var receiver = Open(portable: false, new UdpSocketOptions { ReceiveCoalescing = false });
        using var sender = Open(portable: false, new UdpSocketOptions { RemoteEndPoint = receiver.LocalEndPoint });
        using var stray = Open(portable: false);
        var payload = new byte[282];
        for (var i = 0; i < 20; i++)
        {
            Fill(payload, i);
            Assert.Equal(UdpStatus.Ok, sender.Send(payload));
            Fill(payload, 282 + i);
            Assert.Equal(UdpStatus.Ok, stray.SendTo(payload, receiver.LocalAddress));
        }

        ExpectInOrder(receiver, 282, 20, sender.LocalAddress);
    }

    [Fact]
    public void A_full_send_buffer_queues_the_rest_on_the_loop_and_drops_it_elsewhere()
    {
        using var receiver = Open(portable: false, new UdpSocketOptions { ReceiveCoalescing = false });
        ScriptedIo? script = null;
        using var sender = new UdpSocket(Loopback, new UdpSocketOptions { RemoteEndPoint = receiver.LocalEndPoint }, io => script = new ScriptedIo(io));
        var memory = Framed(100, 70, gap: 0);

        // Queued: the first message (64 datagrams) goes, the kernel refuses the second; its 6 wait in the queue.
        var batch = new UdpInPlaceBatch();
        for (var i = 0; i < 70; i++)
        {
            batch.TryAdd(memory.AsSpan(i * 100, 100));
        }

        script!.SendMessagesScript.Enqueue((1, IoError.WouldBlock, 11));
        Assert.Equal(70, sender.QueueSendInPlace(batch, out _));
        Assert.Equal(6, sender.QueuedSendCount);
        Assert.Equal(64, sender.GetCounters().DatagramsOut);
        Assert.Equal(UdpStatus.Ok, sender.FlushSends());
        ExpectInOrder(receiver, 100, 70, sender.LocalAddress);

        // Any thread: the rest is dropped and counted.
        for (var i = 0; i < 70; i++)
        {
            batch.TryAdd(memory.AsSpan(i * 100, 100));
        }

        script.SendMessagesScript.Enqueue((1, IoError.WouldBlock, 11));
        Assert.Equal(64, sender.SendInPlace(batch, out _));
        Assert.Equal(6, sender.GetCounters().SendDrops);
        Assert.True(batch.IsEmpty);
        ExpectInOrder(receiver, 100, 64, sender.LocalAddress);
    }

    [Fact]
    public void A_group_the_kernel_refuses_is_sent_again_datagram_by_datagram_and_an_icmp_error_is_retried()
    {
        using var receiver = Open(portable: false, new UdpSocketOptions { ReceiveCoalescing = false });
        ScriptedIo? script = null;
        using var sender = new UdpSocket(Loopback, new UdpSocketOptions { RemoteEndPoint = receiver.LocalEndPoint }, io => script = new ScriptedIo(io));
        var memory = Framed(24, 10, gap: 0);
        var batch = new UdpInPlaceBatch();
        for (var i = 0; i < 10; i++)
        {
            batch.TryAdd(memory.AsSpan(i * 24, 24));
        }

        script!.SendMessagesScript.Enqueue((0, IoError.PeerUnreachable, 111));
        script.SendMessagesScript.Enqueue((0, IoError.Unexpected, 22));
        Assert.Equal(10, sender.SendInPlace(batch, out var bytes));
        Assert.Equal(240, bytes);
        ExpectInOrder(receiver, 24, 10, sender.LocalAddress);
        var counters = sender.GetCounters();
        Assert.Equal((10L, 0L, 0L, 1L), (counters.DatagramsOut, counters.SendErrors, counters.SendDrops, counters.IcmpErrors));
    }

    [Fact]
    public void Sending_in_place_allocates_nothing_after_the_first_use()
    {
        using var receiver = Open(portable: false, new UdpSocketOptions { ReceiveBufferBytes = 4 << 20 });
        using var sender = Open(portable: false, new UdpSocketOptions { RemoteEndPoint = receiver.LocalEndPoint });
        var memory = Framed(282, 64, gap: 4);
        var batch = new UdpInPlaceBatch();
        using var drain = new DatagramBatch();
        long allocated = -1;
        for (var round = 0; round < 20; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 64; i++)
            {
                batch.TryAdd(memory.AsSpan((i * 286) + 4, 282));
            }

            sender.SendInPlace(batch, out _);
            sender.QueueSendInPlace(batch, out _); // empty: nothing to do
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            while (receiver.Receive(drain) == UdpStatus.Ok)
            {
            }
        }

        Assert.Equal(0, allocated);
    }

    private static byte[] Pinned(int bytes) => GC.AllocateArray<byte>(bytes, pinned: true);

    /// <summary>Pinned memory holding <paramref name="count"/> datagrams of <paramref name="size"/> (made by <see cref="UdpTestSupport.Fill"/>), each after a <paramref name="gap"/>.</summary>
    private static byte[] Framed(int size, int count, int gap, int firstSequence = 0)
    {
        var memory = Pinned(count * (size + gap));
        for (var i = 0; i < count; i++)
        {
            Fill(memory.AsSpan((i * (size + gap)) + gap, size), firstSequence + i);
        }

        return memory;
    }
}
