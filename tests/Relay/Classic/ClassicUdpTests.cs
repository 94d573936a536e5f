using System.Net;
using FastSpinnRelay.Relay.Classic.Internal;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tests.Shared;
using static FastSpinnRelay.Relay.Tests.Classic.ClassicTestSupport;

namespace FastSpinnRelay.Relay.Tests.Classic;

/// <summary>Both ends in UDP mode (the original's default): bytes on the wire, flows per peer, caps, expiry, faults.</summary>
public class ClassicUdpTests
{
    [Fact]
    public async Task Server_forwards_datagrams_byte_identical_both_ways_from_a_socket_of_its_own()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board));
        using var client = new TestPeer();
        byte[] request = [0x00, 0x00, 0x87, 0xFF, 0x00, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A, 0x00];

        client.Send(request, server.Scp.ListenEndPoint);

        Assert.Equal(request, client.Receive());
        var seen = Assert.Single(board.Received);
        Assert.Equal(request, seen.Payload);
        Assert.NotEqual(client.Address, seen.From); // the board sees the flow's socket, not the client
        Assert.NotEqual(server.Scp.ListenEndPoint.Port, seen.From.Port);
        var counters = server.Scp.GetCounters();
        Assert.Equal((1, request.Length, 1, request.Length), (counters.PacketsUp, counters.BytesUp, counters.PacketsDown, counters.BytesDown));
        Assert.Equal((1, 1), (counters.FlowsOpened, counters.FlowsActive));
        Assert.True(LogCapture.WaitFor("server/scp", "new UDP peer", client.Address.ToString()));
    }

    [Theory]
    [InlineData(24)]
    [InlineData(282)]
    [InlineData(1042)]
    public async Task Trains_pass_the_chain_whole_and_in_order_sent_in_place_when_large(int size)
    {
        using var board = new EchoBoard { Echo = false };
        await using var server = await StartAsync(ServerOptions(board));
        await using var client = await StartAsync(ClientOptions(server));

        // GSO trains: each relay reads one as a coalesced train and, from 4 KiB up, sends it on as it came.
        using var app = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        var batch = new UdpSendBatch(capacity: 64, packRuns: app.SendsSegmented);
        var to = UdpAddress.FromIPEndPoint(client.Scp.ListenEndPoint);
        var sent = new List<byte[]>();
        for (var round = 0; round < 6; round++)
        {
            for (var n = 0; n < 50; n++)
            {
                var packet = Payload("train", sent.Count, size);
                sent.Add(packet);
                Assert.True(batch.TryAdd(packet, to));
            }

            Assert.Equal(50, app.SendBatch(batch, out _));
            Assert.True(WaitUntil(() => board.Received.Count == sent.Count));
        }

        Assert.Equal(sent, board.Payloads);
        var inPlace = new[] { client.Scp, server.Scp }.Sum(r => Assert.IsType<UdpToUdpRoute>(r).InPlaceRuns);
        Assert.True(size * 50 >= UdpToUdpRoute.InPlaceMinBytes ? inPlace > 0 : inPlace == 0);
    }

    [Fact]
    public async Task Empty_and_4096_byte_datagrams_pass_unchanged_and_longer_ones_are_counted_as_malformed()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board));
        using var client = new TestPeer();
        var big = Payload("big", 1, 4096);

        client.Send([], server.Boot.ListenEndPoint);
        Assert.Equal([], client.Receive()!);
        client.Send(big, server.Boot.ListenEndPoint);
        Assert.Equal(big, client.Receive());
        client.Send(new byte[4097], server.Boot.ListenEndPoint);

        Assert.True(WaitUntil(() => server.Boot.GetCounters().Malformed == 1));
        Assert.Equal(2, board.Received.Count);
        Assert.True(LogCapture.WaitFor("server/boot", "longer than 4096 bytes", client.Address.ToString()));
    }

    [Fact]
    public async Task Interleaving_clients_through_one_server_each_get_only_their_own_replies()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board));
        var clients = Enumerable.Range(0, 4).Select(_ => new TestPeer()).ToArray();
        try
        {
            for (var round = 0; round < 50; round++)
            {
                for (var c = 0; c < clients.Length; c++)
                {
                    clients[c].Send(Payload($"client{c}", round), server.Scp.ListenEndPoint);
                }
            }

            for (var c = 0; c < clients.Length; c++)
            {
                var replies = clients[c].ReceiveMany(50);
                Assert.Equal(50, replies.Count);
                Assert.All(replies, r => Assert.StartsWith($"client{c}:", System.Text.Encoding.ASCII.GetString(r), StringComparison.Ordinal));
                Assert.Equal(Enumerable.Range(0, 50).Select(n => Payload($"client{c}", n)), replies);
            }

            Assert.Equal(4, server.Scp.GetCounters().FlowsActive);
            Assert.Equal(4, board.Received.Select(r => r.From).Distinct().Count());
        }
        finally
        {
            Array.ForEach(clients, c => c.Dispose());
        }
    }

    [Fact]
    public async Task Several_applications_on_one_client_each_get_their_own_flow_through_the_chain()
    {
        using var scpBoard = new EchoBoard();
        using var bootBoard = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(scpBoard, bootBoard));
        await using var client = await StartAsync(ClientOptions(server));
        var apps = Enumerable.Range(0, 3).Select(_ => new TestPeer()).ToArray();
        try
        {
            for (var round = 0; round < 20; round++)
            {
                for (var a = 0; a < apps.Length; a++)
                {
                    apps[a].Send(Payload($"app{a}", round), client.Scp.ListenEndPoint);
                }
            }

            for (var a = 0; a < apps.Length; a++)
            {
                Assert.Equal(Enumerable.Range(0, 20).Select(n => Payload($"app{a}", n)), apps[a].ReceiveMany(20));
            }

            apps[0].Send(Payload("boot", 0, 1042), client.Boot.ListenEndPoint);
            Assert.Equal(Payload("boot", 0, 1042), apps[0].Receive());
            Assert.Equal(Payload("boot", 0, 1042), Assert.Single(bootBoard.Payloads));
            Assert.Equal(3, client.Scp.GetCounters().FlowsActive);
            Assert.Equal(3, server.Scp.GetCounters().FlowsActive);
            Assert.Equal(IPAddress.Loopback, client.Scp.ListenEndPoint.Address);
        }
        finally
        {
            Array.ForEach(apps, a => a.Dispose());
        }
    }

    [Fact]
    public async Task Peers_outside_allow_are_dropped_counted_and_logged_once()
    {
        using var board = new EchoBoard();
        var options = ServerOptions(board) with { Allow = [IPNetwork.Parse("10.0.0.0/8")] };
        await using var server = await StartAsync(options);
        using var stranger = new TestPeer();

        for (var i = 0; i < 5; i++)
        {
            stranger.Send(Payload("no", i), server.Scp.ListenEndPoint);
        }

        Assert.True(WaitUntil(() => server.Scp.GetCounters().Denied == 5));
        Assert.True(stranger.ReceivesNothing(TimeSpan.FromMilliseconds(100)));
        Assert.Empty(board.Received);
        Assert.Equal(0, server.Scp.GetCounters().FlowsOpened);
        Assert.True(LogCapture.WaitFor("denied UDP peer", stranger.Address.ToString(), "10.0.0.0/8"));
        Assert.Single(LogCapture.Lines("denied UDP peer", stranger.Address.ToString()));
    }

    [Fact]
    public async Task Loopback_peers_inside_allow_are_served()
    {
        using var board = new EchoBoard();
        var options = ServerOptions(board) with { Allow = [IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("127.0.0.0/8")] };
        await using var server = await StartAsync(options);
        using var peer = new TestPeer();

        peer.Send("hi"u8, server.Scp.ListenEndPoint);

        Assert.Equal("hi"u8.ToArray(), peer.Receive());
        Assert.Equal(0, server.Scp.GetCounters().Denied);
    }

    [Fact]
    public async Task Beyond_max_flows_new_peers_are_refused_and_counted_while_existing_ones_carry_on()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board) with { MaxFlows = 2 });
        using var a = new TestPeer();
        using var b = new TestPeer();
        using var c = new TestPeer();
        a.Send("a"u8, server.Scp.ListenEndPoint);
        b.Send("b"u8, server.Scp.ListenEndPoint);
        Assert.NotNull(a.Receive());
        Assert.NotNull(b.Receive());

        c.Send("c"u8, server.Scp.ListenEndPoint);

        Assert.True(WaitUntil(() => server.Scp.GetCounters().Refused == 1));
        Assert.True(c.ReceivesNothing(TimeSpan.FromMilliseconds(100)));
        a.Send("a2"u8, server.Scp.ListenEndPoint);
        Assert.Equal("a2"u8.ToArray(), a.Receive());
        Assert.True(LogCapture.WaitFor("refused UDP peer", c.Address.ToString(), "--max-flows"));
    }

    [Fact]
    public async Task Idle_flows_expire_and_a_returning_peer_gets_a_new_one()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board) with { FlowIdleTimeout = TimeSpan.FromMilliseconds(200) });
        using var peer = new TestPeer();
        peer.Send("one"u8, server.Scp.ListenEndPoint);
        Assert.NotNull(peer.Receive());

        Assert.True(WaitUntil(() => server.Scp.GetCounters() is { FlowsActive: 0, FlowsClosed: 1 }));
        Assert.True(LogCapture.WaitFor("server/scp", "closed flow", peer.Address.ToString(), "idle for 200ms"));

        peer.Send("two"u8, server.Scp.ListenEndPoint);
        Assert.Equal("two"u8.ToArray(), peer.Receive());
        Assert.Equal(2, server.Scp.GetCounters().FlowsOpened);
        Assert.Equal(2, board.Received.Select(r => r.From).Distinct().Count());
    }

    [Fact]
    public async Task A_closed_board_port_is_counted_as_unreachable_and_traffic_resumes_when_it_returns()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board));
        using var peer = new TestPeer();
        peer.Send("before"u8, server.Scp.ListenEndPoint);
        Assert.NotNull(peer.Receive());

        board.GoDeaf();
        for (var i = 0; i < 5; i++)
        {
            peer.Send("into the void"u8, server.Scp.ListenEndPoint);
            Thread.Sleep(10);
        }

        Assert.True(WaitUntil(() => server.Scp.GetCounters().Unreachable > 0));
        Assert.True(LogCapture.WaitFor("server/scp", "unreachable (ICMP", peer.Address.ToString()));

        board.ComeBackFor(board.FirstSender);
        Assert.True(WaitUntil(() =>
        {
            peer.Send("after"u8, server.Scp.ListenEndPoint);
            return peer.Receive(TimeSpan.FromMilliseconds(50)) is { } reply && reply.AsSpan().SequenceEqual("after"u8);
        }));
        Assert.Equal(1, server.Scp.GetCounters().FlowsOpened);
    }

    [Fact]
    public Task A_UDP_client_keeps_working_across_a_server_restart() => FreedPort.RetryAsync(async () =>
    {
        using var board = new EchoBoard();
        var server = await StartAsync(ServerOptions(board));
        var (scp, boot) = (FreedPort.Udp(server.Scp.ListenEndPoint.Port), FreedPort.Udp(server.Boot.ListenEndPoint.Port));
        await using var client = await StartAsync(ClientOptions(server));
        using var app = new TestPeer();
        app.Send("first"u8, client.Scp.ListenEndPoint);
        Assert.Equal("first"u8.ToArray(), app.Receive());

        await server.DisposeAsync();
        app.Send("lost"u8, client.Scp.ListenEndPoint);
        Assert.True(scp.WhileFree(WaitUntil(() => client.Scp.GetCounters().Unreachable > 0)));

        await using var restarted = await scp.RebindAsync(() => boot.RebindAsync(() =>
            StartAsync(ServerOptions(board) with { ScpTunnelPort = scp.Port, BootTunnelPort = boot.Port })));
        Assert.True(WaitUntil(() =>
        {
            app.Send("again"u8, client.Scp.ListenEndPoint);
            return app.Receive(TimeSpan.FromMilliseconds(50)) is { } reply && reply.AsSpan().SequenceEqual("again"u8);
        }));
        Assert.Equal(1, client.Scp.GetCounters().FlowsOpened);
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_port_already_in_use_is_one_network_error_naming_it(bool viaTcp)
    {
        using var board = new EchoBoard();
        await using var first = await StartAsync(ServerOptions(board) with { ScpViaTcp = viaTcp });
        var taken = first.Scp.ListenEndPoint.Port;

        var error = await Assert.ThrowsAsync<RelayToolException>(() => StartAsync(ServerOptions(board) with { ScpViaTcp = viaTcp, ScpTunnelPort = taken }));

        Assert.Equal(ExitCode.Network, error.Code);
        Assert.Contains($"cannot listen for scp on {(viaTcp ? "TCP" : "UDP")} 127.0.0.1:{taken}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dispose_closes_every_socket_and_frees_the_ports()
    {
        using var board = new EchoBoard();
        var server = await StartAsync(ServerOptions(board));
        using var peer = new TestPeer();
        peer.Send("x"u8, server.Scp.ListenEndPoint);
        Assert.NotNull(peer.Receive());
        var port = server.Scp.ListenEndPoint.Port;
        var holders = UdpPortHolders.Of(port);

        await server.DisposeAsync();
        await server.DisposeAsync(); // idempotent

        Assert.Equal(1, server.Scp.GetCounters().FlowsClosed);
        UdpPortHolders.AssertReleased(port, holders);
    }
}
