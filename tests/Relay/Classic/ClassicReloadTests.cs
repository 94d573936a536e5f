using System.Net;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Classic.Internal;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;
using static FastSpinnRelay.Relay.Tests.Classic.ClassicTestSupport;
using static FastSpinnRelay.Relay.Tests.Tunneling.TunnelBoardMoveTests;

namespace FastSpinnRelay.Relay.Tests.Classic;

/// <summary>
/// <c>relay server</c> on SIGHUP (here called directly, without the signal): the board's name resolved again, and the
/// routes following the board to its new address. An application's UDP flow is re-pointed in place where its socket can
/// reach the new address, and otherwise closed so that its next datagram opens one there; a TCP connection (<c>-T</c>)
/// is never closed for it. A name that stops resolving keeps the old address. The "board name" is resolved by a stand-in
/// (no DNS, no /etc/hosts): first to 127.0.0.1, then to ::1, where a twin emulator listens on the same ports. And
/// <c>relay client</c> on SIGHUP: its proxy server's name resolved again, in the same way, its UDP flows following as a
/// server's do and its TCP flows keeping their open connection, their next one going to the new address.
/// </summary>
public class ClassicReloadTests
{
    private const uint Address = 0x6000_0000u;

    [Fact]
    public async Task A_reload_follows_the_board_to_its_new_address_and_keeps_it_when_the_name_stops_resolving()
    {
        var (v4, v6) = Loopback.TwinBoards();
        using var old = v4;
        using var moved = v6;
        await using var server = await StartAsync(BoardServer(old) with
        {
            Target = "spinn-classic-reload",
            Resolver = Loopback.Resolver([IPAddress.Loopback], [IPAddress.IPv6Loopback], null),
        });
        await FollowsToIPv6ThenKeepsItAsync(server, old, moved, "server: reloaded: board spinn-classic-reload now ::1 (was 127.0.0.1)",
            $"server: reload refused for the board, still sending to ::1: cannot resolve the board 'spinn-classic-reload': {Loopback.NotFound.Message}");
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, old.ScpEndPoint.Port), server.Scp.TargetEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, old.BootEndPoint.Port), server.Boot.TargetEndPoint);
    }

    [Fact]
    public async Task An_open_UDP_flow_is_redirected_in_place_when_its_socket_can_reach_the_new_address()
    {
        using var old = new BoardEmulator(Loopback.Board());
        using var moved = new BoardEmulator(Loopback.Board());
        await using var server = await StartAsync(BoardServer(old));
        using var application = new ScpClient(server.Scp.ListenEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        application.Write(Address, "before"u8);

        var move = await ((IHostedRoute)server.Scp).MoveTargetAsync(moved.ScpEndPoint, "board B").WaitAsync(Deadline);

        Assert.Equal(new RouteMove(Redirected: 1, Closed: 0, Kept: 0, Reconnecting: 0), move);
        application.Write(Address, "after!"u8);
        Assert.Equal("after!", ReadText(moved, 6));
        Assert.Equal("before", ReadText(old, 6));
        Assert.Equal(1, server.Scp.GetCounters().FlowsOpened); // the same flow, its socket re-pointed
        Assert.Equal(moved.ScpEndPoint, server.Scp.TargetEndPoint);
    }

    [Fact]
    public async Task A_TCP_connection_is_redirected_where_it_can_be_and_otherwise_kept_never_closed()
    {
        using var old = new BoardEmulator(Loopback.Board());
        using var moved = new BoardEmulator(Loopback.Board());
        await using var server = await StartAsync(BoardServer(old) with { ScpViaTcp = true });
        await using var client = await StartAsync(ClientOptions(server));
        using var application = new ScpClient(client.Scp.ListenEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        application.Write(Address, "before"u8);
        var route = (IHostedRoute)server.Scp;

        var redirected = await route.MoveTargetAsync(moved.ScpEndPoint, "board B").WaitAsync(Deadline);
        application.Write(Address, "after!"u8);
        var kept = await route.MoveTargetAsync(new IPEndPoint(IPAddress.IPv6Loopback, moved.ScpEndPoint.Port), "board C").WaitAsync(Deadline);
        application.Write(Address + 0x100, "kept!!"u8);

        Assert.Equal(new RouteMove(Redirected: 1, Closed: 0, Kept: 0, Reconnecting: 0), redirected);
        Assert.Equal(new RouteMove(Redirected: 0, Closed: 0, Kept: 1, Reconnecting: 0), kept);
        Assert.Equal("after!", ReadText(moved, 6));
        Assert.Equal("kept!!", ReadText(moved, 6, Address + 0x100)); // its socket (127.0.0.1) cannot reach ::1: still board B
        Assert.Equal("before", ReadText(old, 6));
        Assert.Equal(server.Scp.GetCounters().FlowsOpened, server.Scp.GetCounters().FlowsActive); // no connection closed
    }

    [Fact]
    public async Task A_client_follows_its_proxy_server_to_its_new_address_and_keeps_it_when_the_name_stops_resolving()
    {
        var (v4, v6) = Loopback.TwinBoards();
        using var oldBoard = v4;
        using var newBoard = v6;
        var (oldServer, newServer) = await TwinServersAsync(oldBoard, newBoard);
        await using var _ = oldServer;
        await using var __ = newServer;
        await using var client = await StartAsync(ClientOptions(oldServer) with
        {
            Target = "gateway-classic-reload",
            Resolver = Loopback.Resolver([IPAddress.Loopback], [IPAddress.IPv6Loopback], null),
        });
        await FollowsToIPv6ThenKeepsItAsync(client, oldBoard, newBoard, "client: reloaded: proxy server gateway-classic-reload now ::1 (was 127.0.0.1)",
            $"client: reload refused for the proxy server, still sending to ::1: cannot resolve the proxy server 'gateway-classic-reload': {Loopback.NotFound.Message}");
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, oldServer.Scp.ListenEndPoint.Port), client.Scp.TargetEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, oldServer.Boot.ListenEndPoint.Port), client.Boot.TargetEndPoint);
    }

    [Fact]
    public async Task A_client_given_its_server_as_an_address_has_nothing_to_resolve_and_says_so()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var server = await StartAsync(BoardServer(board));
        await using var client = await StartAsync(ClientOptions(server));

        await client.ReloadAsync(default).WaitAsync(Deadline);

        Assert.True(LogCapture.WaitFor("client: reloaded: nothing to resolve, the proxy server is given as an address (127.0.0.1)"));
        Assert.Equal("reloads: 1 applied, 0 refused", client.Reloads.ToString());
        using var application = new ScpClient(client.Scp.ListenEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        Assert.True(application.Version().Name.Length > 0);
    }

    [Fact]
    public async Task A_client_TCP_flow_keeps_its_open_connection_and_its_next_one_goes_to_the_new_address()
    {
        LogCapture.Install();
        using var oldBoard = new BoardEmulator(Loopback.Board());
        using var newBoard = new BoardEmulator(Loopback.Board());
        var oldServer = await StartAsync(BoardServer(oldBoard) with { ScpViaTcp = true });
        await using var _ = oldServer;
        await using var newServer = await StartAsync(BoardServer(newBoard) with { ScpViaTcp = true });
        await using var client = await StartAsync(ClientOptions(oldServer));
        using var application = new ScpClient(client.Scp.ListenEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        application.Write(Address, "before"u8);

        var move = await ((IHostedRoute)client.Scp).MoveTargetAsync(newServer.Scp.ListenEndPoint, "server B").WaitAsync(Deadline);
        application.Write(Address + 0x100, "kept!!"u8);

        Assert.Equal(new RouteMove(Redirected: 0, Closed: 0, Kept: 0, Reconnecting: 1), move);
        Assert.Equal("kept!!", ReadText(oldBoard, 6, Address + 0x100)); // the open connection: still the old server
        Assert.Equal(1, client.Scp.GetCounters().FlowsActive);
        Assert.Equal(0, client.Scp.GetCounters().Reconnects);

        // The old server goes away and closes the connection: the flow's next one goes to the new server.
        await oldServer.DisposeAsync();
        application.Write(Address, "after!"u8);
        Assert.Equal("after!", ReadText(newBoard, 6));
        Assert.Equal(1, client.Scp.GetCounters().FlowsOpened); // the same flow, connected again
        Assert.Equal(1, client.Scp.GetCounters().Reconnects);

        // The line about the lost connection names where that connection went, not where the next one goes.
        Assert.True(LogCapture.WaitFor($"lost the TCP connection to {oldServer.Scp.ListenEndPoint} (the address before the last reload)", " to server B"));
    }

    [Fact]
    public void A_route_move_names_the_client_TCP_flows_that_connect_to_the_new_address_next_time()
    {
        Assert.Equal("scp: 1 TCP flow connects to the new address next time (an open connection is kept until it ends)",
            new RouteMove(0, 0, 0, 1).Describe("scp"));
        Assert.Equal("boot: 2 TCP flows connect to the new address next time (open connections are kept until they end)",
            new RouteMove(0, 0, 0, 2).Describe("boot"));
        Assert.Null(new RouteMove(0, 0, 0, 0).Describe("scp"));
    }

    /// <summary>
    /// An application's UDP flow through <paramref name="host"/> (server or client) to <paramref name="old"/>, then two
    /// reloads: the first finds the target's name at ::1 (<paramref name="movedLine"/>), the second not at all
    /// (<paramref name="refusedLine"/>). The flow's socket is bound to 127.0.0.1 and cannot reach ::1: it is closed, and
    /// the application's next datagram opens one to the new address, which the application does not notice; after the
    /// refused reload it still goes there.
    /// </summary>
    private static async Task FollowsToIPv6ThenKeepsItAsync(ClassicProxyHost host, BoardEmulator old, BoardEmulator moved, string movedLine, string refusedLine)
    {
        using var application = new ScpClient(host.Scp.ListenEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        application.Write(Address, "before"u8);

        await host.ReloadAsync(default).WaitAsync(Deadline);

        Assert.True(LogCapture.WaitFor(movedLine + ": new flows go there; " +
            "scp: 1 open flow closed (its socket cannot reach the new address; the peer's next datagram opens a flow there)"));
        application.Write(Address, "after!"u8);
        Assert.Equal("after!", ReadText(moved, 6));
        Assert.Equal("before", ReadText(old, 6));
        Assert.Equal(2, host.Scp.GetCounters().FlowsOpened);

        await host.ReloadAsync(default).WaitAsync(Deadline);

        Assert.True(LogCapture.WaitFor(refusedLine));
        Assert.Equal("reloads: 1 applied, 1 refused", host.Reloads.ToString());
        application.Write(Address, "again!"u8);
        Assert.Equal("again!", ReadText(moved, 6));
    }

    /// <summary>
    /// Two servers on the same tunnel ports, one on 127.0.0.1 in front of <paramref name="v4"/> and one on ::1 in front
    /// of <paramref name="v6"/>: what a client whose server's name moves from one address to the other sees.
    /// </summary>
    private static async Task<(ClassicProxyHost V4, ClassicProxyHost V6)> TwinServersAsync(BoardEmulator v4, BoardEmulator v6)
    {
        for (var attempt = 1; ; attempt++)
        {
            var first = await StartAsync(BoardServer(v4));
            try
            {
                return (first, await StartAsync(BoardServer(v6) with
                {
                    Target = "::1",
                    BindAddress = IPAddress.IPv6Loopback,
                    ScpTunnelPort = first.Scp.ListenEndPoint.Port,
                    BootTunnelPort = first.Boot.ListenEndPoint.Port,
                }));
            }
            catch (FastSpinnRelay.Relay.Cli.RelayToolException) when (attempt < 5)
            {
                await first.DisposeAsync(); // a port taken on ::1 by someone else: try another pair
            }
            catch
            {
                await first.DisposeAsync();
                throw;
            }
        }
    }
}
