using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Relay.Udp.Internal;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>The send queue's handling of partial batches and kernel errors, with errors injected deterministically.</summary>
public class UdpSocketSendQueueTests
{
    private const int EINVAL = 22;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_full_send_buffer_keeps_the_rest_queued_in_order(bool portable)
    {
        using var fixture = new Fixture(portable, slots: 8);
        fixture.Script.SendBatchScript.Enqueue((2, IoError.WouldBlock, 11));
        fixture.Queue(0, 6);

        Assert.Equal(UdpStatus.WouldBlock, fixture.Sender.FlushSends());
        Assert.Equal(4, fixture.Sender.QueuedSendCount);
        fixture.Queue(6, 2); // lands behind the four still waiting (the queue compacted)
        Assert.Equal(UdpStatus.Ok, fixture.Sender.FlushSends());

        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], fixture.ReceiveSequences(8));
        Assert.Equal(0, fixture.Sender.GetCounters().SendDrops);
    }

    [Fact]
    public void When_the_queue_is_full_and_nothing_can_be_written_the_new_datagram_is_dropped()
    {
        using var fixture = new Fixture(portable: false, slots: 4);
        fixture.Queue(0, 4);
        fixture.Script.SendBatchScript.Enqueue((0, IoError.WouldBlock, 11));

        Assert.Equal(UdpStatus.WouldBlock, fixture.Sender.QueueSendTo(BitConverter.GetBytes(99), fixture.Receiver.LocalAddress));
        Assert.Equal(1, fixture.Sender.GetCounters().SendDrops);
        Assert.Equal(UdpStatus.Ok, fixture.Sender.FlushSends());

        Assert.Equal([0, 1, 2, 3], fixture.ReceiveSequences(4));
    }

    [Fact]
    public void No_buffer_space_drops_one_datagram_and_sends_the_rest()
    {
        using var fixture = new Fixture(portable: false, slots: 8);
        fixture.Script.SendBatchScript.Enqueue((2, IoError.NoBuffers, 105));
        fixture.Queue(0, 5);

        Assert.Equal(UdpStatus.Ok, fixture.Sender.FlushSends());

        Assert.Equal([0, 1, 3, 4], fixture.ReceiveSequences(4));
        Assert.Equal(1, fixture.Sender.GetCounters().SendDrops);
        Assert.Equal(4, fixture.Sender.GetCounters().DatagramsOut);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_send_batch_leaves_in_order_and_is_empty_afterwards(bool portable)
    {
        using var fixture = new Fixture(portable, slots: 4);
        var batch = new UdpSendBatch(capacity: 3, slotBytes: 8);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(batch.TryAdd(BitConverter.GetBytes(i), fixture.Receiver.LocalAddress));
        }

        Assert.False(batch.TryAdd(BitConverter.GetBytes(3), fixture.Receiver.LocalAddress)); // full
        Assert.Equal(3, fixture.Sender.SendBatch(batch, out var bytes));
        Assert.Equal(12, bytes);
        Assert.True(batch.IsEmpty);
        Assert.False(batch.TryAdd(new byte[9], fixture.Receiver.LocalAddress)); // longer than a slot
        Assert.True(batch.TryAdd(BitConverter.GetBytes(3), fixture.Receiver.LocalAddress));
        Assert.Equal(1, fixture.Sender.SendBatch(batch, out _));

        Assert.Equal([0, 1, 2, 3], fixture.ReceiveSequences(4));
        Assert.Equal(4, fixture.Sender.GetCounters().DatagramsOut);
    }

    [Fact]
    public void A_send_batch_meeting_a_full_buffer_drops_and_counts_the_rest()
    {
        using var fixture = new Fixture(portable: false, slots: 4);
        var batch = new UdpSendBatch(capacity: 8);
        for (var i = 0; i < 6; i++)
        {
            Assert.True(batch.TryAdd(BitConverter.GetBytes(i), fixture.Receiver.LocalAddress));
        }

        fixture.Script.SendBatchScript.Enqueue((2, IoError.WouldBlock, 11));
        Assert.Equal(2, fixture.Sender.SendBatch(batch, out _));

        Assert.True(batch.IsEmpty);
        Assert.Equal([0, 1], fixture.ReceiveSequences(2));
        Assert.Equal(4, fixture.Sender.GetCounters().SendDrops);
    }

    [Fact]
    public void An_ICMP_error_is_retried_once_then_the_datagram_is_dropped()
    {
        using var fixture = new Fixture(portable: false, slots: 8);
        fixture.Script.SendBatchScript.Enqueue((1, IoError.PeerUnreachable, 111));
        fixture.Script.SendBatchScript.Enqueue((1, IoError.PeerUnreachable, 111));
        fixture.Script.SendBatchScript.Enqueue((0, IoError.PeerUnreachable, 111));
        fixture.Queue(0, 4);

        Assert.Equal(UdpStatus.Ok, fixture.Sender.FlushSends());

        // 0 sent; 1 retried and sent; 2 failed twice and was dropped; 3 sent.
        Assert.Equal([0, 1, 3], fixture.ReceiveSequences(3));
        var counters = fixture.Sender.GetCounters();
        Assert.Equal(3, counters.IcmpErrors);
        Assert.Equal(1, counters.SendErrors);
        Assert.Equal(3, counters.DatagramsOut);
    }

    [Fact]
    public void Unexpected_errors_are_counted_reported_and_survived()
    {
        var sink = new RecordingSink();
        using var fixture = new Fixture(portable: false, slots: 8, sink);
        fixture.Script.SendBatchScript.Enqueue((1, IoError.Unexpected, EINVAL));
        fixture.Queue(0, 3);

        Assert.Equal(UdpStatus.Ok, fixture.Sender.FlushSends());

        Assert.Equal([0, 2], fixture.ReceiveSequences(2));
        Assert.Equal(1, fixture.Sender.GetCounters().SendErrors);
        var error = Assert.Single(sink.Errors);
        Assert.Equal((fixture.Sender.Name, UdpOperation.Send, EINVAL), error);
    }

    private sealed class Fixture : IDisposable
    {
        private readonly DatagramBatch _batch = new();

        public Fixture(bool portable, int slots, IUdpErrorSink? sink = null)
        {
            ScriptedIo? script = null;

            // Plain sendmmsg, one datagram per slot: the script's outcomes are per datagram (PackedSendTests covers packing).
            var options = new UdpSocketOptions { UsePortableIo = portable, SendSlots = slots, ErrorSink = sink, Name = "scripted", SendSegmentation = false };
            Sender = new UdpSocket(Loopback, options, io => script = new ScriptedIo(io));
            Script = script!;
            Receiver = Open(portable);
        }

        public UdpSocket Sender { get; }

        public UdpSocket Receiver { get; }

        public ScriptedIo Script { get; }

        public void Queue(int first, int count)
        {
            for (var i = first; i < first + count; i++)
            {
                Assert.Equal(UdpStatus.Ok, Sender.QueueSendTo(BitConverter.GetBytes(i), Receiver.LocalAddress));
            }
        }

        public List<int> ReceiveSequences(int expected)
        {
            var sequences = new List<int>();
            ReceiveUntil(Receiver, _batch, expected, got =>
            {
                for (var i = 0; i < got.Count; i++)
                {
                    sequences.Add(BitConverter.ToInt32(got.GetPayload(i)));
                }
            });

            // Nothing more arrives than expected (a duplicate or a dropped datagram sent late would show here).
            Assert.Equal(UdpStatus.WouldBlock, Receiver.Receive(_batch));
            return sequences;
        }

        public void Dispose()
        {
            Sender.Dispose();
            Receiver.Dispose();
            _batch.Dispose();
        }
    }
}
