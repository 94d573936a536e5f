using System.Buffers.Binary;
using System.Net;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel;
using Chain = FastSpinnRelay.Relay.Tests.Tunneling.TunnelWireTests.Chain;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>
/// Several tunnel clients (<c>relay tunnel connect</c>) on one server (<c>relay tunnel serve</c>) in front of one
/// emulated board: each client its own session, each application its own replies; a client beyond
/// <see cref="TunnelServerOptions.MaxSessions"/> refused, and let in by itself once a session is free: at once when
/// the client holding it stops, not while that client's connection has merely dropped.
/// </summary>
public class TunnelMultiClientTests
{
    [Fact]
    public async Task Two_clients_with_two_applications_each_get_only_their_own_replies_through_one_server()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board);
        await using var second = chain.ConnectAnother();
        var clients = new[] { chain.Portal, second };

        // Four applications at once, two behind each client, each writing its own data at its own address and reading it
        // back. Their ScpClients count sequence numbers from 0 in step, so a reply delivered to any other application
        // (behind the same client or the other one) would be accepted, and its READ data would be that other's.
        var applications = new[]
        {
            (Port: chain.Portal.ScpEndPoint, Address: 0x6000_0000u),
            (Port: chain.Portal.ScpEndPoint, Address: 0x6000_1000u),
            (Port: second.ScpEndPoint, Address: 0x7000_0000u),
            (Port: second.ScpEndPoint, Address: 0x7000_1000u),
        };
        var traffic = applications.Select((a, i) => Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(a.Port, a.Address, seed: i + 1))).ToArray();

        foreach (var application in traffic)
        {
            Assert.Equal(0, await application.WaitAsync(TunnelWireTests.Deadline));
        }

        // None lost: every request a client carried reached the board, and as many replies came back to that client.
        Assert.True(Loopback.WaitUntil(() => clients.Sum(c => c.ScpCounters.PacketsUp) == board.Counters.ScpDatagrams
            && clients.All(c => c.ScpCounters.PacketsDown == c.ScpCounters.PacketsUp)),
            string.Join("; ", clients.Select(c => c.ScpCounters.Describe())) + $"; board got {board.Counters.ScpDatagrams}");
        Assert.All(clients, c => Assert.Equal(0, c.ScpCounters.Dropped));

        // Two sessions on the server, one per client, each with its two applications' channels.
        var server = chain.Gateway.Server;
        Assert.True(Loopback.WaitUntil(() => server.AcceptedConnections == 2), $"{server.AcceptedConnections} accepted"); // counted just after the session starts
        Assert.Equal(0, server.RejectedConnections);
        Assert.Equal(
            clients.Select(c => c.Client.Session.IdText).Order(),
            server.Sessions.Select(s => s.IdText).Order());
        Assert.All(server.Sessions, s => Assert.Equal(2, s.OpenChannelCount));
        Assert.Equal(4, chain.Gateway.ChannelsOpened);
        Assert.All(clients, c => Assert.Equal(2, c.ScpCounters.FlowsOpened));
    }

    [Fact]
    public async Task A_second_client_asking_for_the_same_ip_tag_takes_it_and_the_first_client_is_told()
    {
        const int count = 500;
        using var board = new BoardEmulator(Loopback.Board() with { SpikeTag = 3, SpikeRate = 2000, SpikeLimit = count });
        using var first = new RawUdp(4 << 20);
        using var second = new RawUdp(4 << 20);
        await using var chain = await Chain.StartAsync(board, liveOutput: new LiveOutputRoute(3, [first.LocalEndPoint]));
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputSockets == 1), "the first client's tag was not set");
        var firstSocket = board.Tags.Get(3)!.Destination;

        await using var taker = chain.ConnectAnother(liveOutput: new LiveOutputRoute(3, [second.LocalEndPoint]));

        // The tag now points at the second session's socket; the first session's flow is closed (CLOSE Replaced, so its
        // client warns instead of its visualiser going quiet), counted, and only one live-output socket is left.
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputTakeovers == 1), "the takeover was not counted");
        Assert.True(Loopback.WaitUntil(() => chain.Portal.Client.Session.OpenChannelCount == 0), "the first client's live-output channel stayed open");
        Assert.Equal(1, chain.Gateway.LiveOutputSockets);
        Assert.NotEqual(firstSocket, board.Tags.Get(3)!.Destination);
        Assert.Equal(1, taker.Client.Session.OpenChannelCount);

        board.StartSpikes();
        var tracker = new SpikeSequenceTracker();
        for (var i = 0; i < count; i++)
        {
            tracker.Observe(BinaryPrimitives.ReadUInt32LittleEndian(second.Receive(out _).AsSpan(2)));
        }

        Assert.Equal((count, 0L), (tracker.Received, tracker.Lost));
    }

    [Fact]
    public async Task A_client_beyond_the_session_limit_is_refused_and_gets_in_by_itself_once_the_first_has_stopped()
    {
        using var board = new BoardEmulator(Loopback.Board());
        var serverLog = new TestLog();
        var secondLog = new TestLog();
        await using var chain = await Chain.StartAsync(board, tunnel: new TunnelServerOptions
        {
            Key = TunnelKey.Generate(),
            MaxSessions = 1,
            Log = serverLog,
        });

        // The default linger outlasts every wait below: the second client cannot get in by the first's session expiring.
        Assert.True(chain.ServeOptions.Tunnel.SessionLinger > Loopback.Limit);
        var first = chain.Portal;
        await first.Client.WhenConnectedAsync().WaitAsync(Loopback.Limit);
        var firstSession = first.Client.Session.ToString();
        var server = chain.Gateway.Server;

        // The second client is refused for the session limit, counted and logged on the server, told why, and keeps
        // trying (its backoff is at most 100 ms here).
        await using var second = chain.ConnectAnother(log: secondLog);
        Assert.True(Loopback.WaitUntil(() => server.RejectedConnections >= 2), "the second client was not refused, or did not try again");
        Assert.True(Loopback.WaitUntil(() => serverLog.Contains("SessionLimit (1 sessions)")), serverLog.ToString());
        Assert.True(Loopback.WaitUntil(() => secondLog.Contains("handshake failed: SessionLimit")), secondLog.ToString());
        Assert.Equal(TunnelCloseReason.SessionLimit, second.Client.LastFailure);

        // The first client is unaffected, while the second keeps being refused.
        var before = server.RejectedConnections;
        Assert.Equal(0, await Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(first.ScpEndPoint, 0x6000_0000, seed: 1)).WaitAsync(TunnelWireTests.Deadline));
        Assert.True(Loopback.WaitUntil(() => server.RejectedConnections > before), "the second client stopped trying");
        Assert.Equal(1, first.Client.Handshakes);
        Assert.True(first.Client.Session.IsConnected);
        Assert.Equal(0, second.Client.Handshakes);
        Assert.True(Loopback.WaitUntil(() => server.AcceptedConnections == 1), $"{server.AcceptedConnections} accepted");
        Assert.Equal(new[] { first.Client.Session.IdText }, server.Sessions.Select(s => s.IdText));

        // The first client stops (ERROR Shutdown): its session ends at once, its board socket is released, and the second
        // gets in at its next try.
        await first.DisposeAsync();
        await second.Client.WhenConnectedAsync().WaitAsync(Loopback.Limit);
        Assert.True(Loopback.WaitUntil(() => serverLog.Contains($"{firstSession} ended: the client shut down")), serverLog.ToString());
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.OpenChannels == 0), $"{chain.Gateway.OpenChannels} channels still open");
        Assert.False(serverLog.Contains("expired"), serverLog.ToString());
        Assert.DoesNotContain(serverLog.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains(firstSession, StringComparison.Ordinal));
        Assert.Equal(new[] { second.Client.Session.IdText }, server.Sessions.Select(s => s.IdText));
        Assert.True(Loopback.WaitUntil(() => server.AcceptedConnections == 2), $"{server.AcceptedConnections} accepted"); // counted just after WELCOME leaves
        Assert.Equal(0, await Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(second.ScpEndPoint, 0x7000_0000, seed: 2)).WaitAsync(TunnelWireTests.Deadline));
    }

    [Fact]
    public async Task A_client_whose_connection_drops_keeps_its_session_and_slot_and_resumes_it()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var unreachable = new RefusingTcpPort();
        var serverLog = new TestLog();
        await using var chain = await Chain.StartAsync(board, cuttable: true, tunnel: new TunnelServerOptions
        {
            Key = TunnelKey.Generate(),
            MaxSessions = 1,
            Log = serverLog,
        });
        var first = chain.Portal;
        await first.Client.WhenConnectedAsync().WaitAsync(Loopback.Limit);
        var firstId = first.Client.Session.IdText;
        var server = chain.Gateway.Server;
        Assert.Equal(0, await Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(first.ScpEndPoint, 0x6000_0000, seed: 1)).WaitAsync(TunnelWireTests.Deadline));
        Assert.Equal(1, chain.Gateway.OpenChannels);
        await using var second = chain.ConnectAnother();
        Assert.True(Loopback.WaitUntil(() => server.RejectedConnections >= 1), "the second client was not refused");

        // The first client's link drops (no ERROR Shutdown) and it cannot reach the server for now.
        chain.Forwarder!.Target = new IPEndPoint(IPAddress.Loopback, unreachable.Port);
        chain.Forwarder.CutAll();
        Assert.True(Loopback.WaitUntil(() => server.Sessions.Count == 1 && !server.Sessions[0].IsConnected), "the server never saw the drop");

        // Its session lingers, resumable: it keeps its slot (the second client is still refused), its channel and socket.
        var before = server.RejectedConnections;
        Assert.True(Loopback.WaitUntil(() => server.RejectedConnections >= before + 2), "the second client stopped trying");
        Assert.Equal(new[] { firstId }, server.Sessions.Select(s => s.IdText));
        Assert.Equal(1, server.Sessions[0].OpenChannelCount);
        Assert.Equal(1, chain.Gateway.OpenChannels);
        Assert.Equal(0, second.Client.Handshakes);
        Assert.True(Loopback.WaitUntil(() => serverLog.Contains("the session stays resumable")), serverLog.ToString());
        Assert.False(serverLog.Contains("ended: the client shut down"), serverLog.ToString());

        // Back in reach, the first client resumes the same session and works as before.
        chain.Forwarder.Target = chain.Gateway.ListenEndPoint;
        Assert.True(Loopback.WaitUntil(() => first.Client.Handshakes == 2 && first.Client.Session.IsConnected), "the first client did not resume");
        Assert.Equal(firstId, first.Client.Session.IdText);
        Assert.True(Loopback.WaitUntil(() => serverLog.Contains($"session {firstId[..8]}: resumed")), serverLog.ToString()); // logged just after WELCOME
        Assert.Equal(0, await Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(first.ScpEndPoint, 0x6000_0000, seed: 3)).WaitAsync(TunnelWireTests.Deadline));
        Assert.Equal(0, second.Client.Handshakes);
    }
}
