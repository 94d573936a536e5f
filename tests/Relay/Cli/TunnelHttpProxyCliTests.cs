using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Tests.Shared;
using static FastSpinnRelay.Relay.Tests.TestSupport.RelayChildOutput;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// <c>relay tunnel connect</c> through an HTTP proxy (a <see cref="TestHttpProxy"/> in the test), each relay a child
/// process whose environment the test sets, as .NET reads the proxy variables once per process: the variables as curl
/// and HttpClient read them (https_proxy with user info, all_proxy, NO_PROXY, loopback direct), <c>--http-proxy</c>
/// and <c>--http-proxy none</c>, wrong proxy credentials (exit code 4, or retried with --retry-when-refused), a proxy
/// that cannot reach the server (retried), and a proxy variable of another kind (exit code 2). The proxy resolves
/// gateway.invalid, which nothing else does, so a connection to it went through the proxy. Every wait is bounded.
/// </summary>
public sealed class TunnelHttpProxyCliTests : IDisposable
{
    private const string Gateway = "gateway.invalid";

    private readonly ScratchDirectory _directory = new("relay-http-proxy-");
    private readonly BenchEnvironment _relay = new(new BenchSettings());

    public TunnelHttpProxyCliTests() => TunnelCommand.Keygen(new FileInfo(_directory.File("lab.key")), TextWriter.Null);

    [Fact]
    public async Task HTTPS_PROXY_with_user_info_carries_the_tunnel_and_SCP_to_a_name_only_the_proxy_resolves()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var proxy = new TestHttpProxy("alice", "s@cret:1");
        proxy.Hosts[Gateway] = IPAddress.Loopback;
        using var serve = Serve(board);
        var port = WaitForNumber(serve, ListeningOn());

        using var connect = Connect(ProxyEnvironment.Only(("HTTPS_PROXY", proxy.Url("alice", "s@cret:1"))), $"{Gateway}:{port}");

        WaitFor(connect, $"to {Gateway}:{port} through the HTTP proxy 127.0.0.1:{proxy.Port} as user 'alice' (from HTTPS_PROXY)");
        WaitFor(connect, $"tunnel: connected to {Gateway}:{port} through the HTTP proxy 127.0.0.1:{proxy.Port}");
        using (var scp = new ScpClient(new IPEndPoint(IPAddress.Loopback, WaitForNumber(connect, ScpOn()))) { Timeout = TimeSpan.FromSeconds(2) })
        {
            Assert.Equal("SC&MP/SpiNNaker", scp.Version().Name);
        }

        Assert.DoesNotContain("s@cret", connect.RecentOutput(), StringComparison.Ordinal);
        Assert.DoesNotContain("s%40cret", connect.RecentOutput(), StringComparison.Ordinal);
        Assert.All(proxy.Targets, target => Assert.Equal($"{Gateway}:{port}", target));
    }

    [Fact]
    public async Task NO_PROXY_sends_a_server_it_lists_direct_past_all_proxy()
    {
        await using var proxy = new TestHttpProxy();
        proxy.Hosts[Gateway] = IPAddress.Loopback;

        using var connect = Connect(ProxyEnvironment.Only(("all_proxy", proxy.Url()), ("NO_PROXY", "localhost, .invalid")), $"{Gateway}:17896");

        WaitFor(connect, $"to {Gateway}:17896 directly: NO_PROXY lists {Gateway}");
        WaitFor(connect, "tunnel: connect failed:"); // its own name lookup failed: the name is the proxy's only
        Assert.Equal(0, proxy.Connects);
    }

    [Fact]
    public async Task A_loopback_server_and_http_proxy_none_go_direct_whatever_the_environment_names()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var proxy = new TestHttpProxy();
        using var serve = Serve(board);
        var port = WaitForNumber(serve, ListeningOn());
        var environment = ProxyEnvironment.Only(("https_proxy", proxy.Url()));

        using var loopback = Connect(environment, $"127.0.0.1:{port}");
        using var none = Connect(environment, $"127.0.0.1:{port}", "--http-proxy", "none");

        WaitFor(loopback, $"to 127.0.0.1:{port} directly: a loopback address, for which https_proxy is not used");
        WaitFor(none, $"to 127.0.0.1:{port} directly: --http-proxy none");
        WaitFor(loopback, "tunnel: connected to ");
        WaitFor(none, "tunnel: connected to ");
        Assert.Equal(0, proxy.Connects);
    }

    [Fact]
    public async Task Wrong_credentials_in_http_proxy_end_connect_with_exit_code_4_saying_where_to_fix_them()
    {
        await using var proxy = new TestHttpProxy("alice", "secret");

        using var connect = Connect(ProxyEnvironment.Only(), "127.0.0.1:17896", "--http-proxy", proxy.Url("alice", "wrong-one"));

        var output = WaitForExit(connect, ExitCode.Refused);
        Assert.Contains($"relay: refused: the HTTP proxy 127.0.0.1:{proxy.Port} refused the credentials of user 'alice' for a tunnel to 127.0.0.1:17896: " +
            "407 Proxy Authentication Required; it asks for Basic; check the user name and password in --http-proxy http://USER:PASSWORD@HOST:PORT", output,
            StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-one", output, StringComparison.Ordinal);
        Assert.Contains("tunnel-connect: stopped: scp ", output, StringComparison.Ordinal); // its local ports closed before the exit
    }

    [Fact]
    public async Task A_proxy_variable_without_the_credentials_the_proxy_wants_ends_connect_naming_the_variable()
    {
        await using var proxy = new TestHttpProxy("alice", "secret");

        using var connect = Connect(ProxyEnvironment.Only(("https_proxy", proxy.Url())), $"{Gateway}:17896");

        var output = WaitForExit(connect, ExitCode.Refused);
        Assert.Contains($"relay: refused: the HTTP proxy 127.0.0.1:{proxy.Port} wants credentials to open a tunnel to {Gateway}:17896: 407 Proxy " +
            "Authentication Required; it asks for Basic; give the proxy a user name and password in https_proxy (http://USER:PASSWORD@HOST:PORT", output,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_retry_when_refused_wrong_proxy_credentials_are_a_warning_per_attempt_and_connect_goes_on()
    {
        await using var proxy = new TestHttpProxy("alice", "secret");

        using var connect = Connect(ProxyEnvironment.Only(), "127.0.0.1:17896", "--http-proxy", proxy.Url("alice", "wrong-one"), "--retry-when-refused");

        Assert.True(Loopback.WaitUntil(() => (proxy.CredentialsRefused >= 2 && Count(connect, "refused the credentials of user 'alice'") >= 2) || connect.HasExited),
            connect.RecentOutput());
        Assert.False(connect.HasExited, connect.RecentOutput());
        connect.Stop(Loopback.Limit);
        Assert.Equal(0, connect.ExitCode);
    }

    [Fact]
    public async Task A_proxy_that_cannot_reach_the_server_is_retried()
    {
        using var nobody = new RefusingTcpPort();
        await using var proxy = new TestHttpProxy();

        using var connect = Connect(ProxyEnvironment.Only(), $"127.0.0.1:{nobody.Port}", "--http-proxy", proxy.Url());

        Assert.True(Loopback.WaitUntil(() => Count(connect, $"could not reach 127.0.0.1:{nobody.Port}: 502 Bad Gateway") >= 2 || connect.HasExited),
            connect.RecentOutput());
        Assert.False(connect.HasExited, connect.RecentOutput());
    }

    [Fact]
    public void A_proxy_variable_that_is_not_http_stops_connect_with_exit_code_2_naming_it()
    {
        using var connect = Connect(ProxyEnvironment.Only(("all_proxy", "socks5://127.0.0.1:1080")), $"{Gateway}:17896");

        Assert.Equal((int)ExitCode.Usage, connect.WaitForExit(Loopback.Limit));
        WaitFor(connect, "relay: all_proxy names the proxy socks5://127.0.0.1:1080, and relay tunnel connect goes through http:// proxies only");
    }

    public void Dispose() => _directory.Dispose();

    private ChildProcess Serve(BoardEmulator board) => _relay.StartRelay(
    [
        "tunnel", "serve", "127.0.0.1", "--listen", "127.0.0.1:0", "--key-file", _directory.File("lab.key"),
        "--scp-port", board.ScpEndPoint.Port.ToString(CultureInfo.InvariantCulture), "--boot-port", board.BootEndPoint.Port.ToString(CultureInfo.InvariantCulture),
    ]);

    private ChildProcess Connect(Dictionary<string, string?> environment, string server, params string[] flags) =>
        _relay.StartRelay(environment, ["tunnel", "connect", server, "--scp-port", "0", "--boot-port", "0", "--key-file", _directory.File("lab.key"), .. flags]);

    /// <summary>Waits (bounded) until <paramref name="child"/> has printed <paramref name="text"/>.</summary>
    private static void WaitFor(ChildProcess child, string text) =>
        Assert.True(Loopback.WaitUntil(() => child.RecentOutput().Contains(text, StringComparison.Ordinal)), $"no '{text}' in: {child.RecentOutput()}");

    /// <summary>Waits (bounded) for <paramref name="child"/> to exit with <paramref name="expected"/>; returns its output.</summary>
    private static string WaitForExit(ChildProcess child, ExitCode expected)
    {
        var code = child.WaitForExit(Loopback.Limit);
        Assert.True(code == (int)expected, $"exit code {code?.ToString(CultureInfo.InvariantCulture) ?? "none yet"}: {child.RecentOutput()}");
        WaitFor(child, "relay: refused"); // read asynchronously
        return child.RecentOutput();
    }

    private static int Count(ChildProcess child, string text) => Regex.Count(child.RecentOutput(), Regex.Escape(text));
}
