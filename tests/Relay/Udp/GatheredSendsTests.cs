using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>Gathered UDP sends (connect: to local applications; serve: to boards): nothing leaves before a flush, everything leaves in order with it, per socket.</summary>
public class GatheredSendsTests
{
    [Fact]
    public void Datagrams_leave_in_order_with_their_boundaries_when_flushed()
    {
        using var sender = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        using var receiver = new RawUdp(receiveBufferSize: 4 << 20);
        var to = UdpAddress.FromIPEndPoint(receiver.LocalEndPoint);
        var sends = new GatheredSends();
        var random = new Random(3);

        // Runs of one size (packed into GSO slots) and changes of size, more than a batch holds: 24 to 282 bytes.
        var sent = new List<byte[]>();
        for (var i = 0; i < 200; i++)
        {
            var datagram = new byte[i % 100 < 60 ? 24 : random.Next(12, 283)];
            random.NextBytes(datagram);
            datagram[0] = (byte)i;
            datagram[1] = (byte)(i >> 8);
            sends.Add(sender, datagram, to);
            sent.Add(datagram);
        }

        sends.Flush();
        foreach (var expected in sent)
        {
            Assert.Equal(expected, receiver.Receive(out _));
        }

        Assert.Equal(0, sends.SentAlone);
    }

    [Fact]
    public void Nothing_leaves_before_the_flush_but_a_full_batch()
    {
        using var sender = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { SendSegmentation = false });
        using var receiver = new RawUdp();
        var sends = new GatheredSends();

        sends.Add(sender, [1, 2, 3], UdpAddress.FromIPEndPoint(receiver.LocalEndPoint));
        Assert.Equal(0, sender.GetCounters().DatagramsOut);

        sends.Flush();
        Assert.Equal(new byte[] { 1, 2, 3 }, receiver.Receive(out _));
        sends.Flush(); // nothing gathered: nothing sent again
        Assert.Equal(1, sender.GetCounters().DatagramsOut);
    }

    [Fact]
    public void An_empty_destination_is_the_connected_peer_and_sends_are_counted()
    {
        using var receiver = new RawUdp();
        using var sender = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { RemoteEndPoint = receiver.LocalEndPoint });
        var sends = new GatheredSends();

        sends.Add(sender, [5], default);
        sends.Add(sender, [6, 6], default);
        sends.Flush();

        Assert.Equal(new byte[] { 5 }, receiver.Receive());
        Assert.Equal(new byte[] { 6, 6 }, receiver.Receive());
        Assert.Equal((2L, 0L), (sends.Sent, sends.Failed));
    }

    [Fact]
    public void Sends_through_a_closed_socket_are_counted_as_failed()
    {
        var sender = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        using var receiver = new RawUdp();
        var sends = new GatheredSends();
        sends.Add(sender, [1], UdpAddress.FromIPEndPoint(receiver.LocalEndPoint));
        sends.Add(sender, [2], UdpAddress.FromIPEndPoint(receiver.LocalEndPoint));

        sender.Dispose(); // a channel closed while its datagrams were gathered
        sends.Flush();

        Assert.Equal((0L, 2L), (sends.Sent, sends.Failed));
    }

    [Fact]
    public void Switching_socket_sends_what_the_previous_one_gathered_first()
    {
        using var first = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        using var second = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        using var receiver = new RawUdp();
        var to = UdpAddress.FromIPEndPoint(receiver.LocalEndPoint);
        var sends = new GatheredSends();

        sends.Add(first, [1], to);
        sends.Add(second, [2], to);
        Assert.Equal(new byte[] { 1 }, receiver.Receive(out var from));
        Assert.Equal(first.LocalEndPoint, from);
        sends.Flush();
        Assert.Equal(new byte[] { 2 }, receiver.Receive(out from));
        Assert.Equal(second.LocalEndPoint, from);
    }

    [Fact]
    public void A_datagram_longer_than_a_slot_is_sent_alone_after_what_was_gathered()
    {
        using var sender = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        using var receiver = new RawUdp();
        var to = UdpAddress.FromIPEndPoint(receiver.LocalEndPoint);
        var sends = new GatheredSends();

        sends.Add(sender, [1], to);
        sends.Add(sender, new byte[DatagramBatch.DefaultSlotSize + 1], to);

        Assert.Equal(new byte[] { 1 }, receiver.Receive(out _));
        Assert.Equal(DatagramBatch.DefaultSlotSize + 1, receiver.Receive(out _).Length);
        Assert.Equal(1, sends.SentAlone);
    }

    [Fact]
    public void A_local_reader_that_never_reads_holds_nothing_back()
    {
        // A receiver that never reads and a small send buffer: the sender must neither block nor keep anything queued.
        using var sender = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { SendBufferBytes = 4096, ForceBufferSizes = false });
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4096 };
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var to = UdpAddress.FromIPEndPoint((IPEndPoint)sink.LocalEndPoint!);
        var sends = new GatheredSends();

        for (var i = 0; i < 20_000; i++)
        {
            sends.Add(sender, new byte[282], to);
        }

        sends.Flush();
        var counters = sender.GetCounters();
        Assert.Equal(20_000, counters.DatagramsOut + counters.SendDrops);
    }

    [Fact]
    public void Gathering_and_flushing_allocates_nothing_once_warm()
    {
        using var sender = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var to = UdpAddress.FromIPEndPoint((IPEndPoint)sink.LocalEndPoint!);
        var sends = new GatheredSends();
        var datagram = new byte[24];
        void Run()
        {
            for (var i = 0; i < 2_000; i++)
            {
                sends.Add(sender, datagram, to);
                if (i % 50 == 49)
                {
                    sends.Flush();
                }
            }
        }

        Run(); // warm up (the batch's slots are allocated on the first datagram)
        var allocated = Enumerable.Range(0, 3).Min(_ =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Run();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.Equal(0, allocated);
    }
}
