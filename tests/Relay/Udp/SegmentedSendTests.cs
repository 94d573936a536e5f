using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Relay.Udp.Internal;
using FastSpinnRelay.Tests.Shared;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>
/// UDP GSO sends: how a send queue is grouped (pure), and that grouped sends put exactly the same datagrams on the
/// wire, in order, as plain ones (real sockets on loopback).
/// </summary>
public class SegmentedSendTests
{
    private static readonly UdpAddress A = DestinationA;
    private static readonly UdpAddress B = DestinationB;

    [Fact]
    public void Same_length_and_destination_form_one_group_and_anything_else_starts_a_new_one()
    {
        var queue = new MessageBuffer(16, 2048);
        var n = 0;
        foreach (var (length, to) in new[] { (24, A), (24, A), (24, A), (30, A), (30, B), (30, B), (1500, B), (1500, B), (24, A) })
        {
            queue.SetOutgoing(n++, new byte[length], to);
        }

        var plan = new SegmentedSendPlan(16);
        plan.Build(queue, 0, n);

        // 3 x 24 to A | 30 to A | 2 x 30 to B | 1500 (over MaxSegmentBytes: alone) | 1500 alone | 24 to A.
        Assert.Equal([3, 1, 2, 1, 1, 1], Enumerable.Range(0, plan.Count).Select(plan.Size));
        Assert.Equal(5, plan.Segmented);
        Assert.Equal(n, plan.Slots(plan.Count));
    }

    [Fact]
    public void Groups_stop_at_the_segment_count_and_byte_limits()
    {
        var queue = new MessageBuffer(200, 1042);
        for (var i = 0; i < 200; i++)
        {
            queue.SetOutgoing(i, new byte[1042], A);
        }

        var plan = new SegmentedSendPlan(200);
        plan.Build(queue, 0, 200);

        var perGroup = SegmentedSendPlan.MaxGroupBytes / 1042; // 57 boot-sized datagrams fit in a group
        Assert.All(Enumerable.Range(0, plan.Count - 1), g => Assert.Equal(perGroup, plan.Size(g)));
        Assert.Equal(200, plan.Slots(plan.Count));

        var small = new MessageBuffer(200, 24);
        for (var i = 0; i < 200; i++)
        {
            small.SetOutgoing(i, new byte[24], A);
        }

        plan.Build(small, 10, 150);
        Assert.Equal([64, 64, 22], Enumerable.Range(0, plan.Count).Select(plan.Size));
    }

    [Fact]
    public void Connected_sends_group_like_sends_to_one_address()
    {
        var queue = new MessageBuffer(8, 64);
        for (var i = 0; i < 5; i++)
        {
            queue.SetOutgoing(i, new byte[10], default);
        }

        var plan = new SegmentedSendPlan(8);
        plan.Build(queue, 0, 5);
        Assert.Equal(1, plan.Count);
        Assert.Equal(5, plan.Segmented);
    }

    [Theory]
    [InlineData(24)]
    [InlineData(282)]
    [InlineData(1042)]
    public void Grouped_sends_arrive_as_the_same_datagrams_in_order(int size)
    {
        using var receiver = Open(portable: false);
        using var sender = Open(portable: false, new UdpSocketOptions { SendSlots = 256 });
        using var batch = new DatagramBatch();
        const int count = 500;
        var payload = new byte[size];
        for (var i = 0; i < count; i++)
        {
            Fill(payload, i);
            Assert.Equal(UdpStatus.Ok, sender.QueueSendTo(payload, receiver.LocalAddress));
        }

        // Whatever the kernel does not take now (a full buffer) stays queued for the next flush.
        Assert.True(WaitUntil(() => sender.FlushSends() == UdpStatus.Ok && sender.QueuedSendCount == 0));

        var next = 0;
        var received = ReceiveUntil(receiver, batch, count, b =>
        {
            for (var i = 0; i < b.Count; i++)
            {
                var expected = new byte[size];
                Fill(expected, next++);
                Assert.Equal(expected, b.GetPayload(i).ToArray());
                Assert.Equal(sender.LocalAddress, b.GetSource(i));
            }
        });

        Assert.Equal(count, received);
        Assert.True(sender.SendsSegmented, "the kernel took the grouped sends");
        Assert.Equal(count, sender.GetCounters().DatagramsOut);
        Assert.Equal((long)count * size, sender.GetCounters().BytesOut);
    }

    [Fact]
    public void A_plain_socket_and_a_segmenting_one_put_the_same_bytes_on_the_wire()
    {
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(Loopback);
        receiver.ReceiveTimeout = (int)Deadline.TotalMilliseconds;
        var target = UdpAddress.FromIPEndPoint((IPEndPoint)receiver.LocalEndPoint!);
        var random = new Random(7);
        var datagrams = Enumerable.Range(0, 40).Select(i => { var d = new byte[i < 30 ? 100 : 37]; random.NextBytes(d); return d; }).ToList();

        foreach (var segmentation in new[] { false, true })
        {
            using var sender = Open(portable: false, new UdpSocketOptions { SendSegmentation = segmentation });
            foreach (var datagram in datagrams)
            {
                sender.QueueSendTo(datagram, target);
            }

            Assert.True(WaitUntil(() => sender.FlushSends() == UdpStatus.Ok && sender.QueuedSendCount == 0));
            var buffer = new byte[2048];
            foreach (var datagram in datagrams)
            {
                var length = receiver.Receive(buffer);
                Assert.Equal(datagram, buffer.AsSpan(0, length).ToArray());
            }
        }
    }

    [Fact]
    public void Grouped_sends_to_a_closed_port_account_for_every_datagram()
    {
        // Connected to a port that takes nothing: the first send's ICMP "port unreachable" fails the next syscall.
        using var deadPort = new DeafUdpPort();
        using var sender = Open(portable: false, new UdpSocketOptions { RemoteEndPoint = deadPort.EndPoint });
        var payload = new byte[24];
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 10; i++)
            {
                sender.QueueSend(payload);
            }

            var status = sender.FlushSends();
            Assert.True(status is UdpStatus.Ok or UdpStatus.WouldBlock, status.ToString());
        }

        // Nothing is lost track of: every datagram was either sent or counted as failed. (Whether the kernel reports
        // the refused port depends on its ICMP rate limit, shared with every other test: not asserted.)
        var counters = sender.GetCounters();
        Assert.Equal(0, sender.QueuedSendCount);
        Assert.Equal(30, counters.DatagramsOut + counters.SendErrors + counters.SendDrops);
    }
}
