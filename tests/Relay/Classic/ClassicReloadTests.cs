using System.Net;
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
/// (no DNS, no /etc/hosts): first to 127.0.0.1, then to ::1, where a twin emulator listens on the same ports.
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
        using var application = new ScpClient(server.Scp.ListenEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        application.Write(Address, "before"u8);

        await server.ReloadAsync(default).WaitAsync(Deadline);

        // The flow's socket is bound to 127.0.0.1 and cannot reach ::1: it is closed, and the application's next
        // datagram opens a flow to the new address, which the application does not notice.
        Assert.True(LogCapture.WaitFor("server: reloaded: board spinn-classic-reload now ::1 (was 127.0.0.1): new flows go there; " +
            "scp: 1 open flow closed (its socket cannot reach the new address; the peer's next datagram opens a flow there)"));
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, old.ScpEndPoint.Port), server.Scp.TargetEndPoint);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, old.BootEndPoint.Port), server.Boot.TargetEndPoint);
        application.Write(Address, "after!"u8);
        Assert.Equal("after!", ReadText(moved, 6));
        Assert.Equal("before", ReadText(old, 6));
        Assert.Equal(2, server.Scp.GetCounters().FlowsOpened);

        // The name no longer resolves: the error names it and the resolver's reason; the board stays where it was found.
        await server.ReloadAsync(default).WaitAsync(Deadline);

        Assert.True(LogCapture.WaitFor(
            $"server: reload refused for the board, still sending to ::1: cannot resolve the board 'spinn-classic-reload': {Loopback.NotFound.Message}"));
        Assert.Equal("reloads: 1 applied, 1 refused", server.Reloads.ToString());
        application.Write(Address, "again!"u8);
        Assert.Equal("again!", ReadText(moved, 6));
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

        Assert.Equal(new RouteMove(Redirected: 1, Closed: 0, Kept: 0), move);
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

        Assert.Equal(new RouteMove(Redirected: 1, Closed: 0, Kept: 0), redirected);
        Assert.Equal(new RouteMove(Redirected: 0, Closed: 0, Kept: 1), kept);
        Assert.Equal("after!", ReadText(moved, 6));
        Assert.Equal("kept!!", ReadText(moved, 6, Address + 0x100)); // its socket (127.0.0.1) cannot reach ::1: still board B
        Assert.Equal("before", ReadText(old, 6));
        Assert.Equal(server.Scp.GetCounters().FlowsOpened, server.Scp.GetCounters().FlowsActive); // no connection closed
    }

    [Fact]
    public async Task A_client_has_nothing_to_reload_and_says_so()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var server = await StartAsync(BoardServer(board));
        await using var client = await StartAsync(ClientOptions(server));

        await client.ReloadAsync(default).WaitAsync(Deadline);

        Assert.True(LogCapture.WaitFor("client: SIGHUP: nothing to reload: a client has no board"));
        Assert.Equal("reloads: 0 applied, 0 refused", client.Reloads.ToString());
        using var application = new ScpClient(client.Scp.ListenEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        Assert.True(application.Version().Name.Length > 0);
    }
}
