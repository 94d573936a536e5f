using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Tests.TestSupport;
using Chain = FastSpinnRelay.Relay.Tests.Tunneling.TunnelWireTests.Chain;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>
/// Several tunnel clients (<c>relay tunnel connect</c>) on one server (<c>relay tunnel serve</c>) in front of one
/// emulated board: each client its own session, each application its own replies.
/// </summary>
public class TunnelMultiClientTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

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
            Assert.Equal(0, await application.WaitAsync(Deadline));
        }

        // None lost: every request a client carried reached the board, and as many replies came back to that client.
        Assert.True(Loopback.WaitUntil(() => clients.Sum(c => c.ScpCounters.PacketsUp) == board.Counters.ScpDatagrams
            && clients.All(c => c.ScpCounters.PacketsDown == c.ScpCounters.PacketsUp)),
            string.Join("; ", clients.Select(c => c.ScpCounters.Describe())) + $"; board got {board.Counters.ScpDatagrams}");
        Assert.All(clients, c => Assert.Equal(0, c.ScpCounters.Dropped));

        // Two sessions on the server, one per client, each with its two applications' channels.
        var server = chain.Gateway.Server;
        Assert.Equal(2, server.AcceptedConnections);
        Assert.Equal(0, server.RejectedConnections);
        Assert.Equal(
            clients.Select(c => c.Client.Session.IdText).Order(),
            server.Sessions.Select(s => s.IdText).Order());
        Assert.All(server.Sessions, s => Assert.Equal(2, s.OpenChannelCount));
        Assert.Equal(4, chain.Gateway.ChannelsOpened);
        Assert.All(clients, c => Assert.Equal(2, c.ScpCounters.FlowsOpened));
    }
}
