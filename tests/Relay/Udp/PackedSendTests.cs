using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Relay.Udp.Internal;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>
/// Packed send slots: a queued datagram of the same size for the same destination as the last slot's joins that
/// slot, which then leaves as one UDP GSO packet the kernel cuts back into the same datagrams. Pure checks of the
/// slot bookkeeping, then real sockets on loopback.
/// </summary>
public class PackedSendTests
{
    private static readonly UdpAddress A = DestinationA;
    private static readonly UdpAddress B = DestinationB;

    [Fact]
    public void A_slot_takes_more_datagrams_only_of_its_size_for_its_destination_and_within_its_limits()
    {
        var queue = new MessageBuffer(4, 100);
        queue.SetOutgoing(0, Datagram(24, 1), A);
        Assert.Equal(0, queue.ControlSegmentSize(0));

        Assert.True(queue.TryAppend(0, Datagram(24, 2), A, maxDatagrams: 64, maxBytes: 60_000));
        Assert.False(queue.TryAppend(0, Datagram(23, 3), A, 64, 60_000));
        Assert.False(queue.TryAppend(0, Datagram(25, 3), A, 64, 60_000));
        Assert.False(queue.TryAppend(0, Datagram(24, 3), B, 64, 60_000));
        Assert.False(queue.TryAppend(0, Datagram(24, 3), default, 64, 60_000));
        Assert.True(queue.TryAppend(0, Datagram(24, 3), A, 64, 60_000));
        Assert.True(queue.TryAppend(0, Datagram(24, 4), A, 64, 60_000));
        Assert.False(queue.TryAppend(0, Datagram(24, 5), A, 64, 60_000)); // 5 x 24 > the 100-byte slot

        Assert.Equal(4, queue.Datagrams(0));
        Assert.Equal(24, queue.SegmentSize(0));
        Assert.Equal(96, queue.OutgoingLength(0));
        var bytes = queue.OutgoingPayload(0);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(Datagram(24, i + 1), bytes.Slice(i * 24, 24).ToArray());
        }

        Assert.Equal(24, queue.ControlSegmentSize(0));

        queue.SetOutgoing(1, Datagram(10, 1), A);
        Assert.True(queue.TryAppend(1, Datagram(10, 2), A, maxDatagrams: 2, maxBytes: 60_000));
        Assert.False(queue.TryAppend(1, Datagram(10, 3), A, maxDatagrams: 2, maxBytes: 60_000));
        queue.SetOutgoing(2, Datagram(10, 1), A);
        Assert.False(queue.TryAppend(2, Datagram(10, 2), A, maxDatagrams: 64, maxBytes: 15));

        // Reusing a slot for a single datagram forgets its run.
        queue.SetOutgoing(0, Datagram(30, 9), B);
        Assert.Equal(1, queue.Datagrams(0));
        Assert.Equal(0, queue.ControlSegmentSize(0));
    }

    [Fact]
    public void Appended_datagrams_of_every_short_size_are_copied_whole()
    {
        for (var size = 1; size <= 48; size++)
        {
            // 16 to 32 bytes take the inline copy; the others Span.CopyTo.
            var queue = new MessageBuffer(1, 4 * size);
            queue.SetOutgoing(0, Datagram(size, 1), A);
            Assert.True(queue.TryAppend(0, Datagram(size, 2), A, 64, 60_000));
            Assert.True(queue.TryPackForSameDestination(0, Datagram(size, 3)));

            Assert.Equal([.. Datagram(size, 1), .. Datagram(size, 2), .. Datagram(size, 3)], queue.OutgoingPayload(0).ToArray());
        }
    }

    [Fact]
    public void Swapping_slots_moves_their_runs_with_them()
    {
        var queue = new MessageBuffer(2, 2048);
        queue.SetOutgoing(0, Datagram(24, 1), A);
        queue.TryAppend(0, Datagram(24, 2), A, 64, 60_000);
        queue.TryAppend(0, Datagram(24, 3), A, 64, 60_000);
        queue.SetOutgoing(1, Datagram(30, 7), B);

        queue.SwapSlots(0, 1);

        Assert.Equal((1, 30, 30), (queue.Datagrams(0), queue.SegmentSize(0), queue.OutgoingLength(0)));
        Assert.Equal(0, queue.ControlSegmentSize(0));
        Assert.Equal(B, queue.Address(0));
        Assert.Equal((3, 24, 72), (queue.Datagrams(1), queue.SegmentSize(1), queue.OutgoingLength(1)));
        Assert.Equal(24, queue.ControlSegmentSize(1));
        Assert.Equal(Datagram(24, 3), queue.OutgoingPayload(1).Slice(48, 24).ToArray());
    }

    [Fact]
    public void The_plan_counts_a_packed_slot_as_the_datagrams_it_holds()
    {
        var queue = new MessageBuffer(8, 2048);
        Pack(queue, 0, 40, 24, A);
        Pack(queue, 1, 40, 24, A);
        Pack(queue, 2, 20, 24, A);
        Pack(queue, 3, 4, 24, A);
        Pack(queue, 4, 3, 24, B);
        queue.SetOutgoing(5, Datagram(24, 1), B);

        var plan = new SegmentedSendPlan(8);
        plan.Build(queue, 0, 6);

        // 40 | 40 + 20 + 4 (64 datagrams) | 3 + 1 to B.
        Assert.Equal([1, 3, 2], Enumerable.Range(0, plan.Count).Select(plan.Size));
        Assert.Equal(108, plan.Segmented);
        Assert.Equal(6, plan.Slots(plan.Count));
    }

    [Theory]
    [InlineData(24)]
    [InlineData(282)]
    [InlineData(1042)]
    public void Runs_queued_for_one_destination_are_packed_and_arrive_as_the_same_datagrams_in_order(int size)
    {
        using var plain = Open(portable: false, new UdpSocketOptions { ReceiveCoalescing = false });
        using var coalescing = Open(portable: false);
        using var sender = Open(portable: false, new UdpSocketOptions { SendSlots = 8 });
        Assert.True(sender.SendsSegmented);
        foreach (var receiver in new[] { plain, coalescing })
        {
            const int count = 40;
            var payload = new byte[size];
            for (var i = 0; i < count; i++)
            {
                Fill(payload, i);
                Assert.Equal(UdpStatus.Ok, sender.QueueSendTo(payload, receiver.LocalAddress));
            }

            // Eight slots hold all 40 only because same-sized datagrams share slots; 1042-byte ones take a 2048-byte
            // slot each, so the full queue flushed itself on the way.
            if (size < 1024)
            {
                Assert.Equal(count, sender.QueuedSendCount);
            }
            else
            {
                Assert.InRange(sender.QueuedSendCount, 1, 8);
            }

            Assert.True(WaitUntil(() => sender.FlushSends() == UdpStatus.Ok && sender.QueuedSendCount == 0));
            ExpectInOrder(receiver, size, count, sender.LocalAddress);
        }
    }

    [Fact]
    public void Interleaved_sizes_and_destinations_keep_their_order_per_destination()
    {
        using var first = Open(portable: false);
        using var second = Open(portable: false, new UdpSocketOptions { ReceiveCoalescing = false });
        using var sender = Open(portable: false, new UdpSocketOptions { SendSlots = 256 });
        var sizes = new[] { 24, 24, 24, 30, 24, 24, 282, 282, 24 };
        var sent = new List<byte[]>[] { [], [] };
        for (var i = 0; i < 200; i++)
        {
            var to = i % 7 == 3 ? 1 : 0;
            var payload = new byte[sizes[i % sizes.Length]];
            Fill(payload, i);
            sent[to].Add(payload);
            Assert.Equal(UdpStatus.Ok, sender.QueueSendTo(payload, (to == 0 ? first : second).LocalAddress));
        }

        Assert.True(WaitUntil(() => sender.FlushSends() == UdpStatus.Ok && sender.QueuedSendCount == 0));
        foreach (var (receiver, expected) in new[] { (first, sent[0]), (second, sent[1]) })
        {
            using var batch = new DatagramBatch();
            var got = new List<byte[]>();
            ReceiveUntil(receiver, batch, expected.Count, b =>
            {
                for (var i = 0; i < b.Count; i++)
                {
                    got.Add(b.GetPayload(i).ToArray());
                }
            });
            Assert.Equal(expected, got);
        }

        Assert.Equal(200, sender.GetCounters().DatagramsOut);
    }

    [Fact]
    public void A_packed_slot_whose_send_fails_is_sent_again_datagram_by_datagram()
    {
        using var receiver = Open(portable: false, new UdpSocketOptions { ReceiveCoalescing = false });
        ScriptedIo? script = null;
        using var sender = new UdpSocket(Loopback, UdpSocketOptions.Default, io => script = new ScriptedIo(io));
        Assert.True(sender.SendsSegmented);
        var payload = new byte[24];
        for (var i = 0; i < 10; i++)
        {
            Fill(payload, i);
            sender.QueueSendTo(payload, receiver.LocalAddress);
        }

        Assert.Equal(10, sender.QueuedSendCount);
        script!.SendBatchScript.Enqueue((0, IoError.Unexpected, 22)); // EINVAL for the whole packed slot
        Assert.Equal(UdpStatus.Ok, sender.FlushSends());

        ExpectInOrder(receiver, 24, 10, sender.LocalAddress);
        var counters = sender.GetCounters();
        Assert.Equal((10L, 0L, 0L), (counters.DatagramsOut, counters.SendErrors, counters.SendDrops));
        Assert.Equal(240, counters.BytesOut);
    }

    [Fact]
    public void Without_segmentation_every_datagram_takes_its_own_slot()
    {
        using var receiver = Open(portable: false);
        using var sender = Open(portable: false, new UdpSocketOptions { SendSlots = 4, SendSegmentation = false });
        for (var i = 0; i < 10; i++)
        {
            sender.QueueSendTo(new byte[24], receiver.LocalAddress);
            Assert.InRange(sender.QueuedSendCount, 0, 4);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_send_batch_packs_runs_and_any_socket_sends_them_as_the_same_datagrams(bool segmenting)
    {
        using var receiver = Open(portable: false);
        using var sender = Open(portable: false, new UdpSocketOptions { SendSegmentation = segmenting });
        var batch = new UdpSendBatch(capacity: 4, packRuns: true);
        var payload = new byte[24];
        for (var i = 0; i < 40; i++)
        {
            Fill(payload, i);
            Assert.True(batch.TryAdd(payload, receiver.LocalAddress));
        }

        Assert.Equal(1, batch.Count);
        Assert.Equal(40, sender.SendBatch(batch, out var bytes));
        Assert.Equal(40 * 24, bytes);
        Assert.True(batch.IsEmpty);
        ExpectInOrder(receiver, 24, 40, sender.LocalAddress);
        Assert.Equal(40, sender.GetCounters().DatagramsOut);
    }

    private static void Pack(MessageBuffer queue, int slot, int datagrams, int size, UdpAddress to)
    {
        queue.SetOutgoing(slot, Datagram(size, 0), to);
        for (var i = 1; i < datagrams; i++)
        {
            Assert.True(queue.TryAppend(slot, Datagram(size, i), to, SegmentedSendPlan.MaxSegments, SegmentedSendPlan.MaxGroupBytes));
        }
    }

    private static byte[] Datagram(int size, int tag)
    {
        var bytes = new byte[size];
        bytes.AsSpan().Fill((byte)tag);
        return bytes;
    }
}
