using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Classic.Internal;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tests.Shared;
using static FastSpinnRelay.Relay.Tests.Classic.ClassicTestSupport;

namespace FastSpinnRelay.Relay.Tests.Classic;

/// <summary>TCP modes (-T for SCP, -t for boot): exact bytes on the wire, a flow per connection, faults, pacing, restarts.</summary>
public class ClassicTcpTests
{
    [Fact]
    public async Task Server_turns_a_frame_into_exactly_its_datagram_and_a_board_datagram_into_exactly_one_frame()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board) with { ScpViaTcp = true });
        using var client = RawTcp.Connect(server.Scp.ListenEndPoint);

        client.Send(0x00, 0x00, 0x00, 0x05, 0xDE, 0xAD, 0xBE, 0xEF, 0x42);

        Assert.Equal(new byte[] { 0x00, 0x00, 0x00, 0x05, 0xDE, 0xAD, 0xBE, 0xEF, 0x42 }, client.Read(9));
        Assert.Equal(new byte[] { 0xDE, 0xAD, 0xBE, 0xEF, 0x42 }, Assert.Single(board.Payloads));

        // The echo can come back before the stream's task, back from its send, has counted it: wait for the count.
        Assert.True(WaitUntil(() => server.Scp.GetCounters().PacketsUp == 1));
        var counters = server.Scp.GetCounters();
        Assert.Equal((1, 5, 1, 5, 1), (counters.PacketsUp, counters.BytesUp, counters.PacketsDown, counters.BytesDown, counters.FlowsActive));
        Assert.True(LogCapture.WaitFor("server/scp", "new TCP connection from", client.Socket.LocalEndPoint!.ToString()!));
    }

    [Fact]
    public async Task Server_reassembles_frames_split_anywhere_and_several_in_one_write()
    {
        using var board = new EchoBoard { Echo = false };
        await using var server = await StartAsync(ServerOptions(board) with { BootViaTcp = true, BootMinGap = TimeSpan.Zero });
        using var client = RawTcp.Connect(server.Boot.ListenEndPoint);
        byte[] stream = [0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 2, 9, 9];

        client.Send(stream[..2]);
        Thread.Sleep(20);
        client.Send(stream[2..5]);
        Thread.Sleep(20);
        client.Send(stream[5..]);

        Assert.True(WaitUntil(() => board.Received.Count == 3));
        Assert.Equal([[1, 2, 3], [], [9, 9]], board.Payloads);
    }

    [Fact]
    public async Task Server_keeps_the_order_of_small_and_large_frames_it_sends_in_place_or_copied()
    {
        using var board = new EchoBoard { Echo = false };
        await using var server = await StartAsync(ServerOptions(board) with { BootViaTcp = true, BootMinGap = TimeSpan.Zero });
        using var client = RawTcp.Connect(server.Boot.ListenEndPoint);
        int[] sizes = [24, 600, 600, 1042, 10, 282, 282, 24, 24, 1042, 1042, 512, 511, 512];
        var sent = new List<byte[]>();
        var stream = new List<byte>();
        for (var n = 0; n < 300; n++)
        {
            var payload = Payload("mixed", n, sizes[n % sizes.Length]);
            sent.Add(payload);
            stream.AddRange(new byte[] { 0, 0, (byte)(payload.Length >> 8), (byte)payload.Length });
            stream.AddRange(payload);
        }

        client.Send([.. stream]); // many frames per read: in-place runs and packed slots alternate

        Assert.True(WaitUntil(() => board.Received.Count == sent.Count));
        Assert.Equal(sent, board.Payloads);
    }

    [Fact]
    public async Task Client_frames_each_datagram_exactly_and_returns_each_frame_as_exactly_its_datagram()
    {
        using var fakeServer = RawTcp.Listen();
        var port = ((IPEndPoint)fakeServer.LocalEndPoint!).Port;
        await using var client = await StartAsync(ClientOptions(port, port, scpViaTcp: true, bootViaTcp: false));
        using var connection = RawTcp.Accept(fakeServer); // made at start-up, as the original does
        using var app = new TestPeer();

        app.Send([0xCA, 0xFE, 0x01], client.Scp.ListenEndPoint);
        Assert.Equal(new byte[] { 0, 0, 0, 3, 0xCA, 0xFE, 0x01 }, connection.Read(7));

        connection.Send(0, 0, 0, 4, 0x80, 0x00, 0x2A, 0x00);
        Assert.Equal(new byte[] { 0x80, 0x00, 0x2A, 0x00 }, app.Receive());
    }

    [Fact]
    public async Task Client_frames_trains_of_large_datagrams_exactly_and_in_order()
    {
        using var fakeServer = RawTcp.Listen();
        var port = ((IPEndPoint)fakeServer.LocalEndPoint!).Port;
        await using var client = await StartAsync(ClientOptions(port, port, scpViaTcp: false, bootViaTcp: true));
        using var connection = RawTcp.Accept(fakeServer);

        // GSO trains of 1042-byte datagrams: the client reads each as one coalesced train and frames it as a run.
        using var app = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        var batch = new UdpSendBatch(capacity: 64, packRuns: app.SendsSegmented);
        var to = UdpAddress.FromIPEndPoint(client.Boot.ListenEndPoint);
        for (var round = 0; round < 6; round++)
        {
            var expected = new List<byte>();
            for (var n = round * 50; n < (round + 1) * 50; n++)
            {
                var packet = Payload("boot", n, 1042);
                Assert.True(batch.TryAdd(packet, to));
                expected.AddRange(new byte[] { 0, 0, 0x04, 0x12 });
                expected.AddRange(packet);
            }

            Assert.Equal(50, app.SendBatch(batch, out _));
            Assert.Equal(expected.ToArray(), connection.Read(expected.Count));
        }

        Assert.True(WaitUntil(() => client.Boot.GetCounters().PacketsUp == 300));
        Assert.Equal(0, client.Boot.GetCounters().Dropped);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Boot_and_SCP_pass_through_client_and_server_byte_identical_and_in_order(bool scpViaTcp, bool bootViaTcp)
    {
        using var scpBoard = new EchoBoard();
        using var bootBoard = new EchoBoard { Echo = false };
        var serverOptions = ServerOptions(scpBoard, bootBoard) with { ScpViaTcp = scpViaTcp, BootViaTcp = bootViaTcp, BootMinGap = TimeSpan.FromMilliseconds(1) };
        await using var server = await StartAsync(serverOptions);
        await using var client = await StartAsync(ClientOptions(server));
        using var app = new TestPeer();
        var boot = Enumerable.Range(0, 29).Select(n => Payload("boot", n, n == 28 ? 18 : 1042)).ToList();

        foreach (var packet in boot)
        {
            app.Send(packet, client.Boot.ListenEndPoint);
        }

        for (var n = 0; n < 20; n++)
        {
            app.Send(Payload("scp", n, 282), client.Scp.ListenEndPoint);
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(n => Payload("scp", n, 282)), app.ReceiveMany(20));
        Assert.True(WaitUntil(() => bootBoard.Received.Count == boot.Count));
        Assert.Equal(boot, bootBoard.Payloads);
        Assert.Equal(20, scpBoard.Received.Count);
    }

    [Fact]
    public async Task Several_clients_on_one_TCP_server_each_get_only_their_own_replies()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board) with { ScpViaTcp = true });
        var clients = Enumerable.Range(0, 4).Select(_ => RawTcp.Connect(server.Scp.ListenEndPoint)).ToArray();
        try
        {
            for (var round = 0; round < 25; round++)
            {
                for (var c = 0; c < clients.Length; c++)
                {
                    clients[c].SendFrame(Payload($"client{c}", round));
                }
            }

            for (var c = 0; c < clients.Length; c++)
            {
                var replies = Enumerable.Range(0, 25).Select(_ => clients[c].ReadFrame()).ToList();
                Assert.Equal(Enumerable.Range(0, 25).Select(n => Payload($"client{c}", n)), replies);
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
    public async Task Several_applications_on_a_TCP_client_each_get_their_own_connection_and_replies()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board) with { ScpViaTcp = true });
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

            Assert.Equal(3, client.Scp.GetCounters().FlowsActive);
            Assert.Equal(3, server.Scp.GetCounters().FlowsOpened); // the start-up connection served the first application
        }
        finally
        {
            Array.ForEach(apps, a => a.Dispose());
        }
    }

    [Fact]
    public Task A_TCP_client_reconnects_after_a_server_restart_and_traffic_resumes() => FreedPort.RetryAsync(async () =>
    {
        using var board = new EchoBoard();
        var server = await StartAsync(ServerOptions(board) with { ScpViaTcp = true, BootViaTcp = true });
        await using var client = await StartAsync(ClientOptions(server));
        using var app = new TestPeer();
        app.Send("first"u8, client.Scp.ListenEndPoint);
        Assert.Equal("first"u8.ToArray(), app.Receive());

        var (scp, boot) = (FreedPort.Tcp(server.Scp.ListenEndPoint.Port), FreedPort.Tcp(server.Boot.ListenEndPoint.Port));
        await server.DisposeAsync();
        await using var restarted = await scp.RebindAsync(() => boot.RebindAsync(() => StartAsync(ServerOptions(board) with
        {
            ScpViaTcp = true, BootViaTcp = true, ScpTunnelPort = scp.Port, BootTunnelPort = boot.Port,
        })));

        Assert.True(WaitUntil(() =>
        {
            app.Send("again"u8, client.Scp.ListenEndPoint);
            return app.Receive(TimeSpan.FromMilliseconds(50)) is { } reply && reply.AsSpan().SequenceEqual("again"u8);
        }));
        Assert.True(client.Scp.GetCounters().Reconnects >= 1);
        Assert.True(LogCapture.WaitFor("client/scp", "lost the TCP connection", app.Address.ToString()));
        Assert.True(LogCapture.WaitFor("client/scp", "reconnected", app.Address.ToString()));
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Restarting_the_client_mid_run_recovers_and_the_server_serves_the_new_one(bool viaTcp) => FreedPort.RetryAsync(async () =>
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board) with { ScpViaTcp = viaTcp });
        var client = await StartAsync(ClientOptions(server));
        var scp = FreedPort.Udp(client.Scp.ListenEndPoint.Port);
        using var app = new TestPeer();
        app.Send("one"u8, client.Scp.ListenEndPoint);
        Assert.Equal("one"u8.ToArray(), app.Receive());

        await client.DisposeAsync();
        await using var restarted = await scp.RebindAsync(() => StartAsync(ClientOptions(server) with { ScpPort = scp.Port }));
        app.Send("two"u8, restarted.Scp.ListenEndPoint);

        Assert.Equal("two"u8.ToArray(), app.Receive());
        Assert.Equal(2, server.Scp.GetCounters().FlowsOpened);
    });

    [Fact]
    public async Task A_client_that_closes_frees_its_flow_and_the_server_carries_on()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board) with { ScpViaTcp = true });
        string leavingFrom;
        using (var leaving = RawTcp.Connect(server.Scp.ListenEndPoint))
        {
            leavingFrom = leaving.Socket.LocalEndPoint!.ToString()!;
            leaving.SendFrame("bye"u8);
            Assert.Equal("bye"u8.ToArray(), leaving.ReadFrame());
            leaving.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        }

        Assert.True(WaitUntil(() => server.Scp.GetCounters() is { FlowsActive: 0, FlowsClosed: 1 }));
        Assert.True(LogCapture.WaitFor("server/scp", "closed TCP connection from", leavingFrom, "the peer closed the connection"));

        using var next = RawTcp.Connect(server.Scp.ListenEndPoint);
        next.SendFrame("hello"u8);
        Assert.Equal("hello"u8.ToArray(), next.ReadFrame());
    }

    [Fact]
    public async Task A_length_over_the_maximum_drops_only_that_connection_and_is_logged_with_peer_and_length()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board) with { ScpViaTcp = true, MaxFrameLength = 1024 });
        using var good = RawTcp.Connect(server.Scp.ListenEndPoint);
        using var bad = RawTcp.Connect(server.Scp.ListenEndPoint);
        good.SendFrame("before"u8);
        Assert.Equal("before"u8.ToArray(), good.ReadFrame());

        bad.Send(0x00, 0x00, 0x04, 0x01, 0xAA); // announces 1025 bytes

        Assert.True(bad.SeesEnd());
        Assert.True(WaitUntil(() => server.Scp.GetCounters() is { Malformed: 1, FlowsActive: 1 }));
        Assert.True(LogCapture.WaitFor("dropped TCP connection from", bad.Socket.LocalEndPoint!.ToString()!, "1025-byte frame", "--max-frame"));
        Assert.DoesNotContain(board.Received, r => r.Payload.Contains((byte)0xAA));
        good.SendFrame("after"u8);
        Assert.Equal("after"u8.ToArray(), good.ReadFrame());
    }

    [Fact]
    public async Task Random_garbage_on_the_TCP_port_does_not_disturb_the_relay_or_other_clients()
    {
        using var board = new EchoBoard { Echo = false };
        await using var server = await StartAsync(ServerOptions(board) with { ScpViaTcp = true });
        using var good = RawTcp.Connect(server.Scp.ListenEndPoint);
        var rng = new Random(7);

        for (var i = 0; i < 20; i++)
        {
            using var noisy = RawTcp.Connect(server.Scp.ListenEndPoint);
            var garbage = new byte[rng.Next(1, 4000)];
            rng.NextBytes(garbage);
            noisy.Send(garbage);
            try
            {
                noisy.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            }
            catch (System.Net.Sockets.SocketException)
            {
                // The relay may already have reset it.
            }

            Assert.True(noisy.SeesEnd());
        }

        Assert.True(WaitUntil(() => server.Scp.GetCounters() is { FlowsActive: 1, FlowsClosed: 20 }));
        Assert.True(server.Scp.GetCounters().Malformed > 0);
        board.Echo = true;
        good.SendFrame("still here"u8);
        Assert.Equal("still here"u8.ToArray(), good.ReadFrame());
    }

    [Fact]
    public async Task A_closed_board_port_behind_a_TCP_server_is_counted_and_traffic_resumes_when_it_returns()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board) with { ScpViaTcp = true });
        using var client = RawTcp.Connect(server.Scp.ListenEndPoint);
        client.SendFrame("before"u8);
        Assert.Equal("before"u8.ToArray(), client.ReadFrame());
        board.GoDeaf();

        for (var i = 0; i < 5; i++)
        {
            client.SendFrame("void"u8);
            Thread.Sleep(10);
        }

        Assert.True(WaitUntil(() => server.Scp.GetCounters().Unreachable > 0));
        board.ComeBackFor(board.FirstSender);
        client.SendFrame("back"u8);
        Assert.Equal("back"u8.ToArray(), client.ReadFrame());
        Assert.Equal(1, server.Scp.GetCounters().FlowsActive);
    }

    [Fact]
    public async Task Boot_packets_written_in_one_TCP_send_leave_for_the_board_at_least_the_minimum_gap_apart()
    {
        using var board = new EchoBoard { Echo = false };
        await using var server = await StartAsync(ServerOptions(board) with { BootViaTcp = true, BootMinGap = TimeSpan.FromMilliseconds(20) });
        using var client = RawTcp.Connect(server.Boot.ListenEndPoint);
        var burst = new List<byte>();
        for (var n = 0; n < 10; n++)
        {
            var packet = Payload("boot", n, 1042);
            burst.AddRange([0, 0, 0x04, 0x12]);
            burst.AddRange(packet);
        }

        client.Send([.. burst]);

        Assert.True(WaitUntil(() => board.Received.Count == 10));
        var arrivals = board.Received.ToArray();
        Assert.Equal(Enumerable.Range(0, 10).Select(n => Payload("boot", n, 1042)), arrivals.Select(a => a.Payload));

        // Arrivals are stamped by the board's receive thread, which a busy machine can delay: a late stamp shortens the
        // gap after it, so single gaps are not asserted. The span is: without pacing the ten packets arrive within a
        // millisecond; paced 20 ms apart they span at least 180 ms, and only a first stamp over 45 ms late brings that
        // under the 135 ms (nine gaps of 15 ms) checked here.
        var span = (arrivals[^1].Timestamp - arrivals[0].Timestamp) * 1000.0 / Stopwatch.Frequency;
        Assert.True(span >= 9 * 15, $"the ten packets arrived within {span:0.0} ms");
    }

    [Fact]
    public async Task The_TCP_server_applies_allow_and_max_flows_to_connections()
    {
        using var board = new EchoBoard();
        await using (var strict = await StartAsync(ServerOptions(board) with { ScpViaTcp = true, Allow = [IPNetwork.Parse("10.0.0.0/8")] }))
        {
            using var denied = RawTcp.Connect(strict.Scp.ListenEndPoint);
            Assert.True(denied.SeesEnd());
            Assert.True(WaitUntil(() => strict.Scp.GetCounters().Denied == 1));
            Assert.True(LogCapture.WaitFor("denied TCP connection from", denied.Socket.LocalEndPoint!.ToString()!));
        }

        await using var small = await StartAsync(ServerOptions(board) with { ScpViaTcp = true, MaxFlows = 1 });
        using var first = RawTcp.Connect(small.Scp.ListenEndPoint);
        first.SendFrame("1"u8);
        Assert.Equal("1"u8.ToArray(), first.ReadFrame());
        using var second = RawTcp.Connect(small.Scp.ListenEndPoint);
        Assert.True(second.SeesEnd());
        Assert.True(WaitUntil(() => small.Scp.GetCounters().Refused == 1));
    }

    [Fact]
    public async Task Idle_client_connections_are_closed_and_the_server_sees_an_orderly_end()
    {
        using var board = new EchoBoard();
        await using var server = await StartAsync(ServerOptions(board) with { ScpViaTcp = true });
        await using var client = await StartAsync(ClientOptions(server) with { FlowIdleTimeout = TimeSpan.FromMilliseconds(300) });
        using var app = new TestPeer();
        app.Send("x"u8, client.Scp.ListenEndPoint);
        Assert.NotNull(app.Receive());

        Assert.True(WaitUntil(() => client.Scp.GetCounters().FlowsClosed == 1));
        Assert.True(WaitUntil(() => server.Scp.GetCounters() is { FlowsActive: 0, FlowsClosed: 1 }));
    }

    [Fact]
    public async Task A_TCP_client_with_no_server_fails_at_start_up_with_one_network_error()
    {
        using var noServer = new RefusingTcpPort(); // held, never listening: a freed port could be taken and answered
        var port = noServer.Port;

        var error = await Assert.ThrowsAsync<RelayToolException>(() => StartAsync(ClientOptions(port, port, scpViaTcp: true, bootViaTcp: false)));

        Assert.Equal(ExitCode.Network, error.Code);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("-T", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_TCP_client_stops_reading_its_port_while_the_stream_is_full_then_delivers_in_order_exactly_once()
    {
        await using var stalled = await StalledServer.StartAsync(16 * 1024);
        var (client, server, route, app) = (stalled.Client, stalled.Server, stalled.Route, stalled.App);
        Assert.True(stalled.FloodUntil("n", () => route.ListenerPauses > 0));

        // Now read: every frame whole, payloads strictly in the order sent, none twice; then a late datagram still arrives.
        var lastSeen = -1;
        var late = false;
        var stream = new byte[1 << 20];
        var filled = 0;
        Assert.True(WaitUntil(() =>
        {
            if (!late)
            {
                app.Send("late"u8, client.Scp.ListenEndPoint);
            }

            while (server.Poll(0, SelectMode.SelectRead))
            {
                var read = server.Receive(stream.AsSpan(filled));
                Assert.True(read > 0);
                filled += read;
                var used = 0;
                while (filled - used >= 4 && filled - used >= 4 + BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(used)))
                {
                    var length = BinaryPrimitives.ReadInt32BigEndian(stream.AsSpan(used));
                    var payload = stream.AsSpan(used + 4, length);
                    if (payload.SequenceEqual("late"u8))
                    {
                        late = true;
                    }
                    else
                    {
                        var text = Encoding.ASCII.GetString(payload[..12]); // "n:<number>:" then filler
                        var n = int.Parse(text.Split(':')[1], CultureInfo.InvariantCulture);
                        Assert.True(n > lastSeen, $"datagram {n} after {lastSeen}");
                        Assert.Equal(Payload("n", n, 1000), payload.ToArray());
                        lastSeen = n;
                    }

                    used += 4 + length;
                }

                stream.AsSpan(used, filled - used).CopyTo(stream);
                filled -= used;
            }

            return late;
        }));
        Assert.True(lastSeen >= 0);
    }

    [Fact]
    public async Task Datagrams_the_kernel_drops_while_a_TCP_client_pauses_its_port_are_counted_and_logged()
    {
        // With a small receive buffer at the paused port, the kernel soon drops what the application keeps sending.
        await using var stalled = await StalledServer.StartAsync(16 * 1024, listenReceiveBufferBytes: 16 * 1024);
        var scp = stalled.Client.Scp;
        Assert.True(stalled.FloodUntil("k", () => stalled.Route.ListenerPauses > 0 && scp.GetCounters().KernelDrops > 0));

        var counters = scp.GetCounters();
        Assert.True(counters.KernelDrops <= stalled.Sent);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"kernel drops {counters.KernelDrops},"), counters.Describe(), StringComparison.Ordinal);
        Assert.True(LogCapture.WaitFor("client/scp", "the kernel dropped", $"arriving at UDP {scp.ListenEndPoint}", "receive buffer full"));
    }

    /// <summary>
    /// A TCP client (SCP over -T) whose "server" accepts and does not read until the test does: the client's TCP
    /// buffers and outbox fill, and it stops reading its UDP port.
    /// </summary>
    private sealed class StalledServer : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly EchoBoard _bootBoard;

        private StalledServer(Socket listener, EchoBoard bootBoard, ClassicProxyHost client, Socket server)
        {
            _listener = listener;
            _bootBoard = bootBoard;
            Client = client;
            Server = server;
            Route = Assert.IsType<UdpToStreamRoute>(client.Scp);
        }

        public ClassicProxyHost Client { get; }

        /// <summary>The server's end of the client's connection (not read until the test reads it).</summary>
        public Socket Server { get; }

        public UdpToStreamRoute Route { get; }

        public TestPeer App { get; } = new();

        /// <summary>Datagrams the application has sent so far.</summary>
        public int Sent { get; private set; }

        public static async Task<StalledServer> StartAsync(int outboxBytes, int? listenReceiveBufferBytes = null)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var bootBoard = new EchoBoard();
            try
            {
                listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                listener.Listen(4);
                var accepting = listener.AcceptAsync();
                var client = await ClassicTestSupport.StartAsync(ClientOptions(((IPEndPoint)listener.LocalEndPoint!).Port, bootBoard.Port, scpViaTcp: true, bootViaTcp: false) with
                {
                    OutboxBytes = outboxBytes,
                    ListenReceiveBufferBytes = listenReceiveBufferBytes,
                });
                return new StalledServer(listener, bootBoard, client, await accepting.WaitAsync(Deadline));
            }
            catch
            {
                listener.Dispose();
                bootBoard.Dispose();
                throw;
            }
        }

        /// <summary>The application sends 1000-byte payloads tagged <paramref name="tag"/>, 200 at a time, until <paramref name="condition"/> holds (bounded).</summary>
        public bool FloodUntil(string tag, Func<bool> condition) => WaitUntil(() =>
        {
            for (var i = 0; i < 200; i++)
            {
                App.Send(Payload(tag, Sent++, 1000), Client.Scp.ListenEndPoint);
            }

            return condition();
        });

        public async ValueTask DisposeAsync()
        {
            App.Dispose();
            Server.Dispose();
            await Client.DisposeAsync();
            _bootBoard.Dispose();
            _listener.Dispose();
        }
    }
}
