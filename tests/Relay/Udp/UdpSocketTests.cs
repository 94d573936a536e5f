using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tests.Shared;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Udp;

public class UdpSocketTests
{
    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Batched_sends_arrive_whole_with_their_source(bool portable)
    {
        using var a = Open(portable);
        using var b = Open(portable);
        using var batch = new DatagramBatch();
        Span<byte> payload = stackalloc byte[300];
        long bytes = 0;
        for (var i = 0; i < 100; i++)
        {
            var length = WritePayload(payload, i);
            bytes += length;
            Assert.Equal(UdpStatus.Ok, a.QueueSendTo(payload[..length], b.LocalAddress));
        }

        Assert.Equal(UdpStatus.Ok, a.FlushSends());
        Assert.Equal(0, a.QueuedSendCount);

        var seen = new bool[100];
        var received = ReceiveUntil(b, batch, 100, got =>
        {
            Assert.InRange(got.Count, 1, got.Capacity);
            for (var i = 0; i < got.Count; i++)
            {
                Assert.Equal(a.LocalAddress, got.GetSource(i));
                Assert.False(got.IsTruncated(i));
                Assert.Equal(got.GetPayload(i).Length, got.GetLength(i));
                var sequence = CheckPayload(got.GetPayload(i));
                Assert.InRange(sequence, 0, 99);
                seen[sequence] = true;
            }
        });

        Assert.Equal(100, received);
        Assert.All(seen, Assert.True);
        Assert.Equal(a.UsesBatchSyscalls, !portable && OperatingSystem.IsLinux());
        var sent = a.GetCounters();
        Assert.Equal(100, sent.DatagramsOut);
        Assert.Equal(bytes, sent.BytesOut);
        var got = b.GetCounters();
        Assert.Equal(100, got.DatagramsIn);
        Assert.Equal(bytes, got.BytesIn);
        Assert.Equal(0, got.Truncated + got.ReceiveErrors + sent.SendDrops + sent.SendErrors);
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Oversize_datagrams_are_cut_and_flagged(bool portable)
    {
        using var a = Open(portable);
        using var b = Open(portable);
        using var batch = new DatagramBatch(capacity: 4, slotSize: 64);
        var big = new byte[100];
        for (var i = 0; i < big.Length; i++)
        {
            big[i] = (byte)i;
        }

        Assert.Equal(UdpStatus.Ok, a.SendTo(big, b.LocalAddress));
        Assert.Equal(UdpStatus.Ok, a.SendTo(big.AsSpan(0, 64), b.LocalAddress));
        Assert.Equal(UdpStatus.Ok, a.SendTo(big.AsSpan(0, 10), b.LocalAddress));

        var flags = new List<(bool Truncated, int Length)>();
        ReceiveUntil(b, batch, 3, got =>
        {
            for (var i = 0; i < got.Count; i++)
            {
                Assert.True(got.GetPayload(i).SequenceEqual(big.AsSpan(0, got.GetLength(i))));
                flags.Add((got.IsTruncated(i), got.GetLength(i)));
            }
        });

        Assert.Equal([(true, 64), (false, 64), (false, 10)], flags);
        Assert.Equal(1, b.GetCounters().Truncated);
        Assert.Equal(138, b.GetCounters().BytesIn);
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Receive_with_nothing_waiting_would_block(bool portable)
    {
        using var a = Open(portable);
        using var batch = new DatagramBatch();

        Assert.Equal(UdpStatus.WouldBlock, a.Receive(batch));
        Assert.Equal(0, batch.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.GetPayload(0));
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void A_full_queue_flushes_itself_and_a_large_datagram_goes_out_directly(bool portable)
    {
        // Without segmentation, so each 8-byte datagram takes a slot of its own (packing has its own tests).
        using var a = Open(portable, new UdpSocketOptions { SendSlots = 4, SendSlotBytes = 32, SendSegmentation = false });
        using var b = Open(portable);
        using var batch = new DatagramBatch();
        var sequences = new List<int>();
        Span<byte> payload = stackalloc byte[300];
        for (var i = 0; i < 10; i++)
        {
            var length = i == 5 ? WritePayload(payload, 1000) : 8;
            if (i != 5)
            {
                BitConverter.TryWriteBytes(payload, i);
            }

            Assert.Equal(UdpStatus.Ok, a.QueueSendTo(payload[..length], b.LocalAddress));
            Assert.InRange(a.QueuedSendCount, 0, 4);
        }

        a.FlushSends();
        ReceiveUntil(b, batch, 10, got =>
        {
            for (var i = 0; i < got.Count; i++)
            {
                var p = got.GetPayload(i);
                sequences.Add(p.Length == 8 ? BitConverter.ToInt32(p) : CheckPayload(p));
            }
        });

        // Order holds on loopback, and the oversize datagram went out after what was queued before it.
        Assert.Equal([0, 1, 2, 3, 4, 1000, 6, 7, 8, 9], sequences);
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Connected_sockets_send_without_an_address(bool portable)
    {
        using var b = Open(portable);
        using var a = Open(portable, new UdpSocketOptions { RemoteEndPoint = b.LocalEndPoint });
        using var batch = new DatagramBatch();

        Assert.True(a.IsConnected);
        Assert.Equal(b.LocalAddress, a.RemoteAddress);
        Assert.Equal(UdpStatus.Ok, a.Send("now"u8));
        Assert.Equal(UdpStatus.Ok, a.QueueSend("queued"u8));
        Assert.Equal(UdpStatus.Ok, a.FlushSends());

        var texts = new List<string>();
        ReceiveUntil(b, batch, 2, got =>
        {
            for (var i = 0; i < got.Count; i++)
            {
                texts.Add(System.Text.Encoding.ASCII.GetString(got.GetPayload(i)));
            }
        });
        Assert.Equal(["now", "queued"], texts);
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void A_connected_socket_whose_peer_is_gone_counts_ICMP_errors_and_keeps_working(bool portable)
    {
        using var closedPort = new DeafUdpPort();
        using var b = Open(portable);
        using var a = Open(portable, new UdpSocketOptions { RemoteEndPoint = closedPort.EndPoint });
        using var batch = new DatagramBatch();

        Assert.Equal(UdpStatus.Ok, a.Send("ping"u8));
        var statuses = new List<UdpStatus>();
        Assert.True(WaitUntil(() =>
        {
            statuses.Add(a.Receive(batch));
            return statuses[^1] == UdpStatus.PeerUnreachable;
        }));
        Assert.All(statuses, s => Assert.Contains(s, new[] { UdpStatus.WouldBlock, UdpStatus.PeerUnreachable }));
        Assert.Equal(1, a.GetCounters().IcmpErrors);

        // The error was consumed; the socket still sends (a pending ICMP error on send is retried once).
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(UdpStatus.Ok, a.Send("again"u8));
            Assert.Equal(UdpStatus.Ok, a.QueueSend("queued"u8));
            Assert.Equal(UdpStatus.Ok, a.FlushSends());
        }

        var counters = a.GetCounters();
        Assert.Equal(11, counters.DatagramsOut);
        Assert.Equal(0, counters.SendErrors);
        Assert.True(counters.IcmpErrors >= 1);
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Dispose_is_idempotent_and_later_calls_return_Closed(bool portable)
    {
        var a = Open(portable);
        var to = a.LocalAddress;
        using var batch = new DatagramBatch();
        a.QueueSendTo("x"u8, to);

        a.Dispose();
        a.Dispose();

        Assert.True(a.IsDisposed);
        Assert.Equal(UdpStatus.Closed, a.Receive(batch));
        Assert.Equal(UdpStatus.Closed, a.SendTo("x"u8, to));
        Assert.Equal(UdpStatus.Closed, a.QueueSendTo("x"u8, to));
        Assert.Equal(UdpStatus.Closed, a.FlushSends());
        Assert.Equal(0, a.QueuedSendCount);
    }

    [Fact]
    public void Reports_the_buffer_sizes_the_kernel_granted()
    {
        using var a = Open(portable: false);
        using var small = Open(portable: false, new UdpSocketOptions { ReceiveBufferBytes = 64 * 1024, SendBufferBytes = 0 });

        Assert.True(a.ReceiveBufferSize > 0);
        Assert.True(a.SendBufferSize > 0);
        Assert.True(small.ReceiveBufferSize >= 64 * 1024);
    }

    [Fact]
    public void Works_over_IPv6()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return;
        }

        UdpSocket a, b;
        try
        {
            a = new UdpSocket(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        }
        catch (SocketException)
        {
            return; // IPv6 present but no loopback address configured.
        }

        using (a)
        using (b = new UdpSocket(new IPEndPoint(IPAddress.IPv6Loopback, 0)))
        using (var batch = new DatagramBatch())
        {
            Assert.Equal(AddressFamily.InterNetworkV6, a.LocalAddress.Family);
            Assert.Equal(UdpStatus.Ok, a.QueueSendTo("v6"u8, b.LocalAddress));
            a.FlushSends();
            ReceiveUntil(b, batch, 1, got => Assert.Equal(a.LocalAddress, got.GetSource(0)));
            Assert.Equal(1, b.GetCounters().DatagramsIn);
        }
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void A_connected_socket_redirected_sends_to_and_hears_only_its_new_peer(bool portable)
    {
        using var before = Open(portable);
        using var after = Open(portable);
        using var socket = Open(portable, new UdpSocketOptions { RemoteEndPoint = before.LocalEndPoint });
        using var batch = new DatagramBatch();
        Assert.Equal(UdpStatus.Ok, socket.Send("one"u8));
        ReceiveUntil(before, batch, 1, got => Assert.Equal(socket.LocalAddress, got.GetSource(0)));

        Assert.True(socket.TryRedirect(after.LocalEndPoint));

        Assert.Equal(after.LocalAddress, socket.RemoteAddress);
        Assert.Equal(UdpStatus.Ok, socket.Send("two"u8));
        ReceiveUntil(after, batch, 1, got => Assert.Equal("two"u8.ToArray(), got.GetPayload(0).ToArray()));
        Assert.Equal(UdpStatus.Ok, before.SendTo("stale"u8, socket.LocalAddress)); // the old peer is no longer heard
        Assert.Equal(UdpStatus.Ok, after.SendTo("fresh"u8, socket.LocalAddress));
        ReceiveUntil(socket, batch, 1, got =>
        {
            Assert.Equal(1, got.Count);
            Assert.Equal("fresh"u8.ToArray(), got.GetPayload(0).ToArray());
        });
    }

    [Fact]
    public void A_socket_is_not_redirected_where_it_cannot_send()
    {
        using var socket = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, 9) });
        var remote = socket.RemoteAddress;

        Assert.False(socket.TryRedirect(new IPEndPoint(IPAddress.IPv6Loopback, 9))); // another family
        Assert.False(socket.TryRedirect(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 9))); // bound to loopback: the kernel would refuse
        Assert.Equal(remote, socket.RemoteAddress);
        socket.Dispose();
        Assert.False(socket.TryRedirect(new IPEndPoint(IPAddress.Loopback, 10)));
    }

    [Fact]
    public void Options_report_every_problem_at_once()
    {
        var options = new UdpSocketOptions { SendSlots = 0, SendSlotBytes = 70_000, ReceiveBufferBytes = -1 };

        Assert.Equal(3, options.GetProblems().Count);
        var error = Assert.Throws<ArgumentException>(() => new UdpSocket(Loopback, options));
        Assert.Contains("SendSlots", error.Message);
        Assert.Contains("SendSlotBytes", error.Message);
        Assert.Contains("ReceiveBufferBytes", error.Message);
        Assert.Empty(UdpSocketOptions.Default.GetProblems());
    }

    [Fact]
    public void An_empty_destination_is_a_programming_error()
    {
        using var a = Open(portable: false);

        Assert.Throws<ArgumentException>(() => a.SendTo("x"u8, default));
        Assert.Throws<ArgumentException>(() => a.QueueSendTo("x"u8, default));
    }

    [Fact]
    public void Datagrams_the_kernel_drops_at_a_full_receive_buffer_are_reported()
    {
        using var receiver = UdpTestSupport.Open(portable: false, new UdpSocketOptions { ReceiveBufferBytes = 64 * 1024, ForceBufferSizes = false });
        using var sender = UdpTestSupport.Open(portable: false);
        Assert.Equal(0, receiver.KernelReceiveDrops());

        // Never read: far more than 64 KiB (its truesize is larger still) arrives, so the kernel must drop some.
        var to = UdpAddress.FromIPEndPoint(receiver.LocalEndPoint);
        var payload = new byte[1000];
        for (var i = 0; i < 1000; i++)
        {
            sender.SendTo(payload, to);
        }

        Assert.True(UdpTestSupport.WaitUntil(() => receiver.KernelReceiveDrops() > 0));
        receiver.Dispose();
        Assert.Null(receiver.KernelReceiveDrops());
    }
}
