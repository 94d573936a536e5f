using System.Globalization;
using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// <c>relay server</c> and <c>relay client</c> as deployed, children on 127.0.0.1 port 0 in front of an emulated board,
/// given SIGHUP (what <c>systemctl reload</c> sends): neither ends, as the signal's default would have it. The server,
/// given its board as an address, has nothing to resolve and says so; so has the client, given its server as one; the
/// application's traffic goes on through both. (Resolving a name again is tested in-process, ClassicReloadTests: a child
/// would need DNS or /etc/hosts.)
/// </summary>
public sealed class ClassicReloadSignalTests
{
    private const uint Address = 0x6000_0000u;

    [Fact]
    public void Sighup_leaves_server_and_client_running_and_each_says_what_it_reloaded()
    {
        using var board = new BoardEmulator(Loopback.Board());
        var environment = new BenchEnvironment(new BenchSettings());
        using var server = environment.StartRelay(
            "server", "127.0.0.1", "--bind", "127.0.0.1", "--scp-port", Port(board.ScpEndPoint.Port), "--boot-port", Port(board.BootEndPoint.Port),
            "--scp-tunnel-port", "0", "--boot-tunnel-port", "0");
        var scpTunnel = RelayChildOutput.WaitForNumber(server, RelayChildOutput.ScpRouteOn());
        var bootTunnel = RelayChildOutput.WaitForNumber(server, RelayChildOutput.BootRouteOn());
        using var client = environment.StartRelay(
            "client", "127.0.0.1", "--scp-port", "0", "--boot-port", "0", "--scp-tunnel-port", Port(scpTunnel), "--boot-tunnel-port", Port(bootTunnel));
        var scp = RelayChildOutput.WaitForNumber(client, RelayChildOutput.ScpRouteOn());
        using var application = new ScpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, scp)) { Timeout = TimeSpan.FromSeconds(2) };
        application.Write(Address, "before"u8);

        Hangup.Send(server);
        Hangup.Send(client);

        Assert.True(
            Loopback.WaitUntil(() => server.RecentOutput().Contains("server: reloaded: nothing to resolve, the board is given as an address (127.0.0.1)", StringComparison.Ordinal)),
            server.RecentOutput());
        Assert.True(
            Loopback.WaitUntil(() => client.RecentOutput().Contains("client: reloaded: nothing to resolve, the proxy server is given as an address (127.0.0.1)", StringComparison.Ordinal)),
            client.RecentOutput());
        application.Write(Address, "after!"u8); // the same flows, through both
        Assert.Equal("after!", Tunneling.TunnelBoardMoveTests.ReadText(board, 6));
        Assert.False(server.HasExited, server.RecentOutput());
        Assert.False(client.HasExited, client.RecentOutput());

        var clientReport = client.Stop(Loopback.Limit);
        Assert.True(client.ExitCode == 0, $"client exit code {client.ExitCode}: {client.RecentOutput()}");
        Assert.Equal(1, clientReport!.Counters["clientReloadsApplied"]);
        var report = server.Stop(Loopback.Limit);
        Assert.True(server.ExitCode == 0, $"server exit code {server.ExitCode}: {server.RecentOutput()}");
        Assert.Equal(1, report!.Counters["serverReloadsApplied"]);
        Assert.Equal(0, report.Counters["serverReloadsRefused"]);
        Assert.True(
            Loopback.WaitUntil(() => server.RecentOutput().Contains("stopping (signal received); reloads: 1 applied, 0 refused", StringComparison.Ordinal)),
            server.RecentOutput()); // the child's output is read on its own thread, which may still be at it
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
