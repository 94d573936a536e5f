using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>
/// Host tools (ScpClient, BootSender) → relay tunnel connect → (a cuttable TCP forwarder) → relay tunnel serve →
/// emulated board: SCP, boot byte-identical across ten cuts, two applications, wrong key.
/// </summary>
public class TunnelWireTests
{
    /// <summary>Bound on a whole run of traffic through a <see cref="Chain"/> (a watchdog, not a timing assertion).</summary>
    internal static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task SCP_version_write_and_read_pass_through_the_tunnel()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board);
        using var scp = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        var data = new byte[1000];
        new Random(3).NextBytes(data);
        var back = new byte[data.Length];

        var version = scp.Version();
        scp.Write(0x6000_0000, data);
        scp.Read(0x6000_0000, back);

        Assert.Equal("SC&MP/SpiNNaker", version.Name);
        Assert.Equal(data, back);
        Assert.Equal(1, chain.Gateway.ChannelsOpened);
    }

    [Fact]
    public async Task A_boot_arrives_byte_identical_and_the_board_then_reports_booted()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board);
        using var scp = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        using var sender = new BootSender(chain.Portal.BootEndPoint) { Gap = TimeSpan.FromMilliseconds(2) };
        var image = BootSender.CreateSyntheticImage(seed: 42);
        Assert.False(scp.Version().IsBooted);

        var packets = await sender.SendAsync(image);

        Assert.True(Loopback.WaitUntil(() => board.Counters.BootsCompleted == 1));
        Assert.Equal(packets, board.Counters.BootPackets);
        Assert.Equal(0, board.Counters.BootProblems);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(image)), board.BootImageSha256);
        Assert.True(scp.Version().IsBooted);
    }

    [Fact]
    public async Task Cutting_the_tunnel_ten_times_during_a_boot_loses_and_repeats_nothing()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board, cuttable: true);
        using var sender = new BootSender(chain.Portal.BootEndPoint) { Gap = TimeSpan.FromMilliseconds(3) };
        var image = BootSender.CreateSyntheticImage(seed: 7);

        var boot = sender.SendAsync(image);
        for (var cut = 0; cut < 10; cut++)
        {
            // Cut only once the tunnel is up again, and only while the boot is still being sent.
            var handshakes = chain.Portal.Client.Handshakes;
            Assert.True(Loopback.WaitUntil(() => chain.Portal.Client.Session.IsConnected && sender.PacketsSent > cut * 2));
            chain.Forwarder!.CutAll();
            Assert.True(Loopback.WaitUntil(() => chain.Portal.Client.Handshakes > handshakes || boot.IsCompleted));
        }

        var packets = await boot.WaitAsync(Deadline);

        Assert.True(Loopback.WaitUntil(() => board.Counters.BootsCompleted == 1));
        Assert.Equal(packets, board.Counters.BootPackets); // each packet exactly once
        Assert.Equal(0, board.Counters.BootProblems);
        Assert.Equal(image, board.CopyBootImage());
        Assert.True(chain.Forwarder!.Accepted >= 2);
    }

    [Fact]
    public async Task Two_applications_at_once_each_get_only_their_own_replies()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board);

        var a = Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(chain.Portal.ScpEndPoint, 0x6000_0000, seed: 1));
        var b = Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(chain.Portal.ScpEndPoint, 0x7000_0000, seed: 2));

        Assert.Equal(0, await a.WaitAsync(Deadline));
        Assert.Equal(0, await b.WaitAsync(Deadline));
        Assert.Equal(2, chain.Gateway.ChannelsOpened);
        Assert.Equal(2, chain.Portal.ScpCounters.FlowsOpened);
    }

    [Fact]
    public async Task Live_output_of_an_IP_tag_reaches_two_local_visualisers_in_sequence()
    {
        const int count = 1000;
        using var board = new BoardEmulator(Loopback.Board() with { SpikeTag = 3, SpikeRate = 2000, SpikeLimit = count });
        using var first = new RawUdp(4 << 20);
        using var second = new RawUdp(4 << 20);
        await using var chain = await Chain.StartAsync(board, liveOutput: new LiveOutputRoute(3, [first.LocalEndPoint, second.LocalEndPoint]));

        Assert.True(Loopback.WaitUntil(() => board.Tags.Get(3) is not null && chain.Gateway.OpenChannels == 1));
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputSockets == 1));
        board.StartSpikes();

        foreach (var visualiser in new[] { first, second })
        {
            var tracker = new SpikeSequenceTracker();
            for (var i = 0; i < count; i++)
            {
                var packet = visualiser.Receive(out _);
                Assert.Equal(258, packet.Length);
                tracker.Observe(BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(2)));
            }

            Assert.Equal((count, 0L, 0L, 0L), (tracker.Received, tracker.Lost, tracker.Duplicated, tracker.Reordered));
        }
    }

    [Fact]
    public async Task Live_output_comes_back_by_itself_after_the_server_restarts_and_forgets_the_session()
    {
        using var board = new BoardEmulator(Loopback.Board() with { SpikeTag = 3, SpikeRate = 2000 });
        using var visualiser = new RawUdp(4 << 20);
        await using var chain = await Chain.StartAsync(board, cuttable: true, liveOutput: new LiveOutputRoute(3, [visualiser.LocalEndPoint]));
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputSockets == 1));
        board.StartSpikes();
        visualiser.Receive(out _);

        // The server restarts: it stops (clearing the tag it set), then a new gateway (same key and board) that has never
        // heard of the client's session starts.
        var before = board.Tags.Get(3)!.Destination;
        await chain.Gateway.DisposeAsync();
        Assert.Null(board.Tags.Get(3));
        await using var restarted = TunnelGateway.Start(chain.ServeOptions with { Listen = new IPEndPoint(IPAddress.Loopback, 0) });
        chain.Forwarder!.Target = restarted.ListenEndPoint;
        chain.Forwarder.CutAll();

        Assert.True(Loopback.WaitUntil(() => restarted.LiveOutputSockets == 1), "the client never asked the new server for the tag");
        Assert.NotEqual(before, board.Tags.Get(3)!.Destination);
        while (visualiser.Socket.Available > 0)
        {
            visualiser.Receive(out _); // what came through the old server
        }

        visualiser.Receive(out _); // spikes flow again, through the new server
    }

    [Fact]
    public async Task Live_output_the_tunnel_cannot_carry_stops_being_read_and_flows_again_once_the_tunnel_drains()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var visualiser = new RawUdp(4 << 20);
        await using var chain = await Chain.StartAsync(board, cuttable: true, liveOutput: new LiveOutputRoute(3, [visualiser.LocalEndPoint]));
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputSockets == 1));
        var liveOutput = board.Tags.Get(3)!.Destination!; // the server's live-output socket: "the board" sends there
        using var flood = new RawUdp();

        // A stalled path: TCP buffers fill, then the latest queue overflows, and the flow stops reading. How much of the
        // flood reaches TCP before that depends on the machine (the kernel drops what the UDP loop has no time for, and
        // a loop that drains its socket writes the small runs itself), so the bound is generous; the loop ends at the pause.
        chain.Forwarder!.Hold();
        var packet = new byte[1000];
        for (var i = 0; i < 2_000_000 && chain.Gateway.LiveOutputPauses == 0; i++)
        {
            flood.Send(packet, liveOutput);
        }

        Assert.True(chain.Gateway.LiveOutputPauses > 0, "the live-output socket was never paused");

        // Once the path drains (or a tick passes) the socket is read again: a marker sent now reaches the visualiser.
        chain.Forwarder.Release();
        var marker = "marker"u8.ToArray();
        var buffer = new byte[2048];
        var seen = false;
        for (var i = 0; i < 3000 && !seen; i++)
        {
            flood.Send(marker, liveOutput);
            while (!seen && visualiser.Socket.Poll(TimeSpan.FromMilliseconds(5), SelectMode.SelectRead))
            {
                seen = buffer.AsSpan(0, visualiser.Socket.Receive(buffer)).SequenceEqual(marker);
            }
        }

        Assert.True(seen, "nothing sent after the path drained reached the visualiser");
    }

    [Fact]
    public async Task An_SCP_port_the_tunnel_cannot_carry_stops_being_read_and_answers_again_once_acknowledged()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board, cuttable: true);
        using var scp = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        Assert.Equal("SC&MP/SpiNNaker", scp.Version().Name); // the channel is open

        // A stalled path: nothing is acknowledged, the replay buffer (1 MiB) fills, and the port stops being read.
        chain.Forwarder!.Hold();
        using var flood = new RawUdp();
        var request = new byte[282];
        for (var i = 0; i < 200_000 && chain.Portal.ScpListenerPauses == 0; i++)
        {
            flood.Send(request, chain.Portal.ScpEndPoint);
        }

        Assert.True(chain.Portal.ScpListenerPauses > 0, "the SCP port was never paused");

        chain.Forwarder.Release();
        using var after = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromMilliseconds(500), Attempts = 20 };
        Assert.Equal("SC&MP/SpiNNaker", after.Version().Name); // read again, carried, answered
    }

    [Fact]
    public async Task Live_input_reaches_the_board_port_and_what_the_board_answers_comes_back()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var boardInput = new RawUdp(); // stands in for the board's reverse-IP-tag port
        await using var chain = await Chain.StartAsync(board, liveInput: new LiveInputRoute(0, boardInput.LocalEndPoint.Port));
        using var tool = new RawUdp();
        var local = chain.Portal.LiveInputEndPoints[0];

        tool.Send([0x01, 0x08, 1, 2, 3, 4], local);
        var arrived = boardInput.Receive(out var from);
        boardInput.Send([0x42], from);

        Assert.Equal([0x01, 0x08, 1, 2, 3, 4], arrived);
        Assert.Equal([0x42], tool.Receive(out _));
    }

    [Fact]
    public async Task Answers_of_every_size_come_back_whole_and_in_order_to_the_tool_that_asked()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var boardInput = new RawUdp(4 << 20);
        await using var chain = await Chain.StartAsync(board, liveInput: new LiveInputRoute(0, boardInput.LocalEndPoint.Port));
        using var tool = new RawUdp(4 << 20);
        var local = chain.Portal.LiveInputEndPoints[0];
        tool.Send([1], local);
        boardInput.Receive(out var from);

        // Bursts the client gathers per read of the tunnel, with answers too long for its reply slots among them.
        var sizes = new[] { 1, 20, 272, 513, 1000, 2, 1400, 300 };
        var answers = new List<byte[]>();
        for (var i = 0; i < 200; i++)
        {
            var answer = new byte[sizes[i % sizes.Length]];
            new Random(i).NextBytes(answer);
            answer[0] = (byte)i;
            answers.Add(answer);
            boardInput.Send(answer, from);
        }

        foreach (var expected in answers)
        {
            Assert.Equal(expected, tool.Receive(out _));
        }
    }

    [Fact]
    public async Task A_client_outside_allow_is_closed_before_the_handshake()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board, allow: new PeerAllowList([IPNetwork.Parse("10.0.0.0/8")]));

        Assert.True(Loopback.WaitUntil(() => chain.Portal.Client.ConnectAttempts >= 2));
        Assert.Equal(0, chain.Portal.Client.Handshakes);
        Assert.Equal(0, chain.Gateway.Server.AcceptedConnections);
    }

    [Fact]
    public async Task A_client_with_the_wrong_key_never_reaches_the_board()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board, clientKey: TunnelKey.Generate());
        using var scp = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromMilliseconds(100), Attempts = 1 };

        Assert.True(Loopback.WaitUntil(() => chain.Gateway.Server.RejectedConnections >= 1));
        Assert.ThrowsAny<Exception>(() => scp.Version());
        Assert.Equal(0, chain.Gateway.ChannelsOpened);
        Assert.Equal(0, board.Counters.ScpDatagrams);
        Assert.Equal(0, chain.Portal.Client.Handshakes);
    }

    /// <summary>
    /// A tunnel server in front of the board and a tunnel client in front of it, on loopback, ports 0; more clients of
    /// the same server with <see cref="ConnectAnother"/>.
    /// </summary>
    internal sealed class Chain : IAsyncDisposable
    {
        private Chain(TunnelServeOptions serveOptions, TunnelGateway gateway, TunnelPortal portal, CuttableForwarder? forwarder)
        {
            ServeOptions = serveOptions;
            Gateway = gateway;
            Portal = portal;
            Forwarder = forwarder;
        }

        /// <summary>What the gateway was started with (to start another, as a restarted server).</summary>
        public TunnelServeOptions ServeOptions { get; }

        public TunnelGateway Gateway { get; }

        public TunnelPortal Portal { get; }

        public CuttableForwarder? Forwarder { get; }

        /// <summary>
        /// Starts the chain; <paramref name="tunnel"/> (its key, limits, log) replaces the server's default settings, a
        /// fresh key and nothing else. With <paramref name="tls"/> the server listens with TLS, and the client connects
        /// with <paramref name="clientTls"/> (its pin, its certificate if any); the client proves the server's key, if it
        /// has one (or <paramref name="clientKey"/>), and its certificate otherwise. With <paramref name="httpProxy"/> the
        /// client goes through that HTTP proxy, asking it for <paramref name="serverHost"/> and the server's port.
        /// </summary>
        public static Task<Chain> StartAsync(BoardEmulator board, bool cuttable = false, TunnelKey? clientKey = null, LiveOutputRoute? liveOutput = null, PeerAllowList? allow = null,
            LiveInputRoute? liveInput = null, TunnelServerOptions? tunnel = null, TunnelTlsServerOptions? tls = null, TunnelTlsClientOptions? clientTls = null,
            TunnelHttpProxy? httpProxy = null, string serverHost = "127.0.0.1")
        {
            tunnel ??= new TunnelServerOptions { Key = TunnelKey.Generate() };
            var serveOptions = new TunnelServeOptions
            {
                BoardScp = board.ScpEndPoint,
                BoardBoot = board.BootEndPoint,
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                Tunnel = tunnel,
                Allow = allow ?? PeerAllowList.Anyone,
                Tls = tls,
            };
            var gateway = TunnelGateway.Start(serveOptions);
            var forwarder = cuttable ? new CuttableForwarder(gateway.ListenEndPoint) : null;
            var portal = StartPortal(forwarder?.EndPoint ?? gateway.ListenEndPoint, clientKey ?? tunnel.Key, liveOutput, liveInput, TunnelLog.None, clientTls, httpProxy, serverHost);
            return Task.FromResult(new Chain(serveOptions, gateway, portal, forwarder));
        }

        /// <summary>
        /// Another tunnel client of the same server, with the right key, straight to it (not through the forwarder);
        /// the caller disposes it. With <paramref name="tls"/> it connects with TLS; with <paramref name="withKey"/> false
        /// it proves itself with the certificate <paramref name="tls"/> presents, not the key.
        /// </summary>
        public TunnelPortal ConnectAnother(LiveOutputRoute? liveOutput = null, ITunnelLog? log = null, TunnelTlsClientOptions? tls = null, bool withKey = true) =>
            StartPortal(Gateway.ListenEndPoint, withKey ? ServeOptions.Tunnel.Key! : null, liveOutput, liveInput: null, log ?? TunnelLog.None, tls);

        /// <summary>A client of <paramref name="server"/> that proves <paramref name="key"/>, or with none, the certificate <paramref name="tls"/> presents.</summary>
        private static TunnelPortal StartPortal(
            IPEndPoint server, TunnelKey? key, LiveOutputRoute? liveOutput, LiveInputRoute? liveInput, ITunnelLog log, TunnelTlsClientOptions? tls = null,
            TunnelHttpProxy? httpProxy = null, string serverHost = "127.0.0.1") =>
            TunnelPortal.Start(new TunnelConnectOptions
            {
                Connector = new TcpTunnelConnector(serverHost, server.Port, tls) { HttpProxy = httpProxy },
                ServerLabel = server.ToString(),
                ScpPort = 0,
                BootPort = 0,
                LiveOutputs = liveOutput is null ? [] : [liveOutput],
                LiveInputs = liveInput is null ? [] : [liveInput],
                Tunnel = new TunnelClientOptions
                {
                    Key = key,
                    ReconnectMinDelay = TimeSpan.FromMilliseconds(10),
                    ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
                    Log = log,
                },
            });

        public async ValueTask DisposeAsync()
        {
            await Portal.DisposeAsync();
            if (Forwarder is not null)
            {
                await Forwarder.DisposeAsync();
            }

            await Gateway.DisposeAsync();
        }
    }
}
