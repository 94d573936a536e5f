using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Spalloc.Client;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Spalloc.Client;

/// <summary>`relay spalloc connect` against `relay spalloc serve` and the emulator: plain UDP tools reach the board through local ports.</summary>
public class SpallocConnectionTests
{
    [Fact]
    public async Task Scp_from_two_plain_udp_clients_each_gets_its_own_replies()
    {
        await using var s = await ConnectScenario.StartAsync(Loopback.Board());
        var scp = s.Connection.Boards[0].Scp;
        using var first = new ScpClient(scp);
        using var second = new ScpClient(scp);

        Assert.False(first.Version().IsBooted);
        var data = new byte[3000];
        new Random(7).NextBytes(data);
        first.Write(0x7000_0000, data);
        var back = new byte[data.Length];
        second.Read(0x7000_0000, back);
        Assert.Equal(data, back);
        Assert.False(second.Version().IsBooted);

        // Not asserted: zero retransmissions. Whether a reply beats the client's timeout depends on the machine's
        // load, not on the relay (a test must not depend on timing); the data checks above are what must hold.
    }

    [Fact]
    public async Task A_complete_boot_through_the_local_boot_port()
    {
        await using var s = await ConnectScenario.StartAsync(Loopback.Board());
        var image = BootSender.CreateSyntheticImage(seed: 3);
        using (var boot = new BootSender(s.Connection.BootEndPoint) { Gap = TimeSpan.FromMilliseconds(1) })
        {
            await boot.SendAsync(image);
        }

        Assert.True(Loopback.WaitUntil(() => s.Board.IsBooted), "the board did not report a completed boot");
        Assert.Equal(image, s.Board.CopyBootImage());
        using var scp = new ScpClient(s.Connection.Boards[0].Scp);
        Assert.True(scp.Version().IsBooted);
    }

    [Fact]
    public async Task Live_output_reaches_two_visualisers_with_nothing_lost()
    {
        const int count = 3000;
        using var a = Visualiser();
        using var b = Visualiser();
        await using var s = await ConnectScenario.StartAsync(
            Loopback.Board() with { SpikeTag = 1, SpikeRate = 5_000, SpikeLimit = count },
            o => o with { LiveOutputs = [(IPEndPoint)a.Client.LocalEndPoint!, (IPEndPoint)b.Client.LocalEndPoint!], LiveTag = 1 });

        s.Board.StartSpikes();
        var readers = new[] { Task.Run(() => Track(a, count)), Task.Run(() => Track(b, count)) };
        foreach (var tracker in await Task.WhenAll(readers))
        {
            Assert.Equal((count, 0L, 0L, 0L), (tracker.Received, tracker.Lost, tracker.Duplicated, tracker.Reordered));
        }

        Assert.Equal(count, s.Connection.LiveDatagrams);
    }

    [Fact]
    public async Task Live_output_datagrams_gathered_into_batches_keep_their_bytes_and_order_and_a_lone_one_is_not_held()
    {
        using var visualiser = Visualiser();
        visualiser.Client.ReceiveTimeout = (int)Loopback.Limit.TotalMilliseconds;
        await using var s = await ConnectScenario.StartAsync(
            Loopback.Board(), o => o with { LiveOutputs = [(IPEndPoint)visualiser.Client.LocalEndPoint!], LiveTag = 1 });
        var channelSocket = s.Board.Tags.Get(1)?.Destination ?? throw new InvalidOperationException("connect did not set IP tag 1");
        using var board = new RawUdp();
        var from = new IPEndPoint(IPAddress.Any, 0);

        // A lone datagram, the only traffic until it has arrived: held for a batch, it never would.
        board.Send([1, 2, 3], channelSocket);
        Assert.Equal(new byte[] { 1, 2, 3 }, visualiser.Receive(ref from));

        // A burst (1 to 300 bytes each, 90 KB: inside every buffer on the way), then a lone one again.
        var sent = SpallocLiveBatchingTests.Datagrams(600, seed: 22);
        foreach (var datagram in sent)
        {
            board.Send(datagram, channelSocket);
        }

        foreach (var expected in sent)
        {
            Assert.Equal(expected, visualiser.Receive(ref from));
        }

        board.Send([4, 5], channelSocket);
        Assert.Equal(new byte[] { 4, 5 }, visualiser.Receive(ref from));
        Assert.Equal(602, s.Connection.LiveDatagrams);
    }

    [Fact]
    public async Task Live_input_reaches_the_board_port_with_msg_to()
    {
        using var boardSide = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var boardPort = ((IPEndPoint)boardSide.Client.LocalEndPoint!).Port;
        await using var s = await ConnectScenario.StartAsync(Loopback.Board(), o => o with { LiveInputs = [new SpallocLiveInput(0, 0, 0, boardPort)] });

        using var sender = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        byte[] payload = [1, 2, 3, 4, 5];
        await sender.SendAsync(payload, s.Connection.LiveInputs[0].Local);
        using var limit = new CancellationTokenSource(Loopback.Limit);
        var received = await boardSide.ReceiveAsync(limit.Token);
        Assert.Equal(payload, received.Buffer);
    }

    [Fact]
    public async Task Live_input_frames_written_in_batches_reach_the_board_in_order_and_a_lone_one_is_not_held()
    {
        using var boardSide = new RawUdp(receiveBufferSize: 4 << 20);
        await using var s = await ConnectScenario.StartAsync(
            Loopback.Board(), o => o with { LiveInputs = [new SpallocLiveInput(0, 0, 0, boardSide.LocalEndPoint.Port)] });
        using var sender = new RawUdp();
        var input = s.Connection.LiveInputs[0].Local;

        // A burst (1 to 300 bytes each, 90 KB), which the websocket sender writes a batch at a time, then a lone one.
        var sent = SpallocLiveBatchingTests.Datagrams(600, seed: 24);
        foreach (var datagram in sent)
        {
            sender.Send(datagram, input);
        }

        foreach (var expected in sent)
        {
            Assert.Equal(expected, boardSide.Receive());
        }

        // The only traffic until it has arrived: were it held for a batch to fill, it never would.
        sender.Send([9, 8, 7], input);
        Assert.Equal(new byte[] { 9, 8, 7 }, boardSide.Receive());
        Assert.Equal(0, s.Connection.Dropped);
    }

    [Fact]
    public async Task The_port_table_and_file_name_every_local_port()
    {
        await using var s = await ConnectScenario.StartAsync(Loopback.Board());
        var table = s.Connection.DescribePorts();
        Assert.Contains($"board 0,0 (127.0.0.1) SCP -> {s.Connection.Boards[0].Scp}", table, StringComparison.Ordinal);
        Assert.Contains($"boot 0,0 -> {s.Connection.BootEndPoint}", table, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(s.Connection.PortsJson());
        Assert.Equal(s.Connection.Boards[0].Scp.ToString(), json.RootElement.GetProperty("boards")[0].GetProperty("scp").GetString());
        Assert.Equal(s.Connection.BootEndPoint.ToString(), json.RootElement.GetProperty("boot").GetString());
    }

    [Fact]
    public async Task When_the_websocket_drops_it_reconnects_and_reopens_every_channel()
    {
        using var visualiser = Visualiser();
        await using var s = await ConnectScenario.StartAsync(
            Loopback.Board() with { SpikeTag = 1, SpikeRate = 2_000 },
            o => o with { LiveOutputs = [(IPEndPoint)visualiser.Client.LocalEndPoint!], LiveTag = 1, ReconnectDelay = TimeSpan.FromMilliseconds(50) });
        using var scp = new ScpClient(s.Connection.Boards[0].Scp);
        Assert.False(scp.Version().IsBooted);

        s.Server.Server.DropWebSockets(s.JobId, "test: connection dropped");
        Assert.True(Loopback.WaitUntil(() => s.Connection.Reconnects == 1), "no reconnection");

        // The same local application keeps its port; its flow got a new channel. Live output comes through the new tag.
        Assert.False(scp.Version().IsBooted);
        s.Board.StartSpikes();
        visualiser.Client.ReceiveTimeout = (int)Loopback.Limit.TotalMilliseconds;
        var from = new IPEndPoint(IPAddress.Any, 0);
        Assert.Equal(258, visualiser.Receive(ref from).Length);
    }

    [Fact]
    public async Task An_idle_application_loses_its_channel_and_gets_a_new_one_when_it_sends_again()
    {
        await using var s = await ConnectScenario.StartAsync(Loopback.Board(), o => o with { FlowIdleTimeout = TimeSpan.FromMilliseconds(1) });
        var idle = s.Server.Server.RegisteredSockets;
        using var scp = new ScpClient(s.Connection.Boards[0].Scp);
        Assert.False(scp.Version().IsBooted);
        Assert.True(Loopback.WaitUntil(() => s.Server.Server.RegisteredSockets == idle), "the idle flow's channel was not closed");
        Assert.False(scp.Version().IsBooted);
    }

    [Fact]
    public async Task The_job_is_kept_alive_while_connected()
    {
        await using var s = await ConnectScenario.StartAsync(Loopback.Board(), o => o with { KeepaliveInterval = TimeSpan.FromMilliseconds(10) });
        for (var round = 0; round < 3; round++)
        {
            // 100 s pass on the server's clock (the job's keepalive interval is 120 s); wait for a keepalive after that.
            s.Server.Time.Advance(TimeSpan.FromSeconds(100));
            var now = s.Server.Time.GetUtcNow();
            var kept = false;
            for (var poll = 0; poll < 500 && !kept; poll++)
            {
                kept = (await s.Client.GetJobAsync(s.Job)).KeepaliveTime >= now;
                if (!kept)
                {
                    await Task.Delay(20);
                }
            }

            Assert.True(kept, "no keepalive arrived");
            s.Server.Server.RunHousekeeping();
        }

        Assert.True((await s.Client.GetJobAsync(s.Job)).IsReady);
    }

    [Fact]
    public async Task Reconnecting_after_the_session_expired_logs_in_again()
    {
        await using var s = await ConnectScenario.StartAsync(
            Loopback.Board(),
            o => o with { ReconnectDelay = TimeSpan.FromMilliseconds(50), KeepaliveInterval = TimeSpan.FromHours(1) },
            o => o with { SessionIdleTimeout = TimeSpan.FromMinutes(1) });
        var csrf = s.Client.CsrfToken;
        s.Server.Time.Advance(TimeSpan.FromMinutes(5));
        s.Server.Server.DropWebSockets(s.JobId, "test: connection dropped");
        Assert.True(Loopback.WaitUntil(() => s.Connection.Reconnects == 1), "no reconnection");
        Assert.NotEqual(csrf, s.Client.CsrfToken);
        using var scp = new ScpClient(s.Connection.Boards[0].Scp);
        Assert.False(scp.Version().IsBooted);
    }

    [Fact]
    public Task After_a_server_restart_that_lost_the_job_the_connection_ends_with_a_clear_reason() => FreedPort.RetryAsync(async () =>
    {
        using var emulator = new BoardEmulator(Loopback.Board());
        await using var first = await SpallocTestServer.StartAsync();
        using var client = new SpallocClient(first.BaseUri, new SpallocCredentials(null, null, SpallocTestServer.AliceToken), new SpallocClientOptions { RequestTimeout = Loopback.Limit });
        var job = await client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 });
        var options = new SpallocConnectOptions { BoardScpPort = emulator.ScpEndPoint.Port, ReconnectDelay = TimeSpan.FromMilliseconds(50) };
        await using var connection = await SpallocConnection.StartAsync(client, job, options, Loopback.Limit, null, CancellationToken.None);

        // The service restarts on the same address without the job (this server keeps jobs in memory only).
        await using var second = await first.RestartAsync();
        var reason = await connection.Ended.WaitAsync(Loopback.Limit);
        Assert.Contains("no longer knows the job", reason, StringComparison.Ordinal);
        Assert.Contains("404", reason, StringComparison.Ordinal);
    });

    [Fact]
    public async Task With_the_service_gone_the_connection_gives_up_after_its_attempts_naming_the_flag()
    {
        using var emulator = new BoardEmulator(Loopback.Board());
        var server = await SpallocTestServer.StartAsync();
        using var client = new SpallocClient(server.BaseUri, new SpallocCredentials(null, null, SpallocTestServer.AliceToken), new SpallocClientOptions { RequestTimeout = Loopback.Limit });
        var job = await client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 });
        var options = new SpallocConnectOptions { BoardScpPort = emulator.ScpEndPoint.Port, ReconnectDelay = TimeSpan.FromMilliseconds(1), ReconnectAttempts = 2 };
        await using var connection = await SpallocConnection.StartAsync(client, job, options, Loopback.Limit, null, CancellationToken.None);

        await server.DisposeAsync(); // the service is gone for good: every attempt is refused
        var reason = await connection.Ended.WaitAsync(Loopback.Limit);
        Assert.Contains("gave up reconnecting after 2 attempts (--reconnect-attempts", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_destroyed_job_ends_the_connection_with_the_reason()
    {
        await using var s = await ConnectScenario.StartAsync(Loopback.Board(), o => o with { ReconnectDelay = TimeSpan.FromMilliseconds(50) });
        await s.Client.DestroyAsync(s.Job, "test over");
        var reason = await s.Connection.Ended.WaitAsync(Loopback.Limit);
        Assert.Contains("destroyed", reason, StringComparison.Ordinal);
        Assert.Contains("test over", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_board_port_that_is_not_open_in_the_job_gives_a_clear_error()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var client = new SpallocClient(server.BaseUri, new SpallocCredentials(null, null, SpallocTestServer.AliceToken), new SpallocClientOptions { RequestTimeout = Loopback.Limit });
        var job = await client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 });
        await using var connection = await SpallocConnection.StartAsync(client, job, new SpallocConnectOptions(), Loopback.Limit, null, CancellationToken.None);
        var proxy = await SpallocProxyClient.ConnectAsync((await client.GetJobAsync(job)).ProxyRef!, client, new IgnoredMessages());
        await using (proxy)
        {
            var ex = await Assert.ThrowsAsync<SpallocClientException>(() => proxy.OpenAsync(5, 5, 17893));
            Assert.Contains("OPEN (5,5,17893) refused: unrecognised ethernet chip", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_connect_verb_writes_the_ports_file_serves_scp_and_ends_when_the_job_is_destroyed()
    {
        using var emulator = new BoardEmulator(Loopback.Board());
        await using var server = await SpallocTestServer.StartAsync();
        using var client = new SpallocClient(server.BaseUri, new SpallocCredentials(null, null, SpallocTestServer.AliceToken), new SpallocClientOptions { RequestTimeout = Loopback.Limit });
        var job = await client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 });
        var portsFile = Path.Combine(Path.GetTempPath(), $"spalloc-ports-{Guid.NewGuid():N}.json");
        try
        {
            var run = Task.Run(() => FastSpinnRelay.Relay.Cli.RelayCommandLine.InvokeAsync(
            [
                "spalloc", "connect", job.ToString(), "--service", server.BaseUri.ToString(), "--token", SpallocTestServer.AliceToken,
                "--ports-file", portsFile, "--board-scp-port", emulator.ScpEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--board-boot-port", emulator.BootEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ]));
            Assert.True(Loopback.WaitUntil(() => File.Exists(portsFile) && new FileInfo(portsFile).Length > 0 || run.IsCompleted), "no ports file");
            Assert.False(run.IsCompleted, "connect ended early");
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(portsFile));
            var scpPort = IPEndPoint.Parse(json.RootElement.GetProperty("boards")[0].GetProperty("scp").GetString()!);
            using (var scp = new ScpClient(scpPort))
            {
                Assert.False(scp.Version().IsBooted);
            }

            await client.DestroyAsync(job, "test over");
            Assert.Equal((int)FastSpinnRelay.Relay.Cli.ExitCode.Failed, await run.WaitAsync(Loopback.Limit));
        }
        finally
        {
            File.Delete(portsFile);
        }
    }

    private static UdpClient Visualiser()
    {
        var client = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        client.Client.ReceiveBufferSize = 4 << 20;
        return client;
    }

    private static SpikeSequenceTracker Track(UdpClient socket, int count)
    {
        var tracker = new SpikeSequenceTracker();
        socket.Client.ReceiveTimeout = (int)Loopback.Limit.TotalMilliseconds;
        var from = new IPEndPoint(IPAddress.Any, 0);
        for (var i = 0; i < count; i++)
        {
            var packet = socket.Receive(ref from);
            tracker.Observe(BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(2)));
        }

        return tracker;
    }
}
