using System.Globalization;
using System.Net;
using System.Text.Json;
using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Spalloc.Client;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Spalloc.Client;

/// <summary>
/// The Spalloc client through an HTTP proxy (a <see cref="TestHttpProxy"/>), as the tunnel goes: its REST calls and its
/// proxy websocket (a handler of its own) both take the proxy <c>--http-proxy</c> names, credentials included; and a
/// <c>relay spalloc connect</c> child with https_proxy set reaches a service whose name only the proxy resolves, boards
/// and all. The service speaks HTTPS, so every connection is a CONNECT tunnel.
/// </summary>
public sealed class SpallocHttpProxyTests : IDisposable
{
    private const string Service = "spalloc.invalid";

    private readonly ScratchDirectory _directory = new("relay-spalloc-proxy-");

    [Fact]
    public async Task The_rest_calls_and_the_proxy_websocket_both_go_through_the_proxy_the_option_names()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var server = await StartTlsServerAsync();
        await using var proxy = new TestHttpProxy("alice", "s3cret");
        Assert.True(HttpProxyChoice.TryParse(proxy.Url("alice", "s3cret"), out var choice, out _));
        using var client = new SpallocClient(server.BaseUri, new SpallocCredentials(null, null, SpallocTestServer.AliceToken),
            new SpallocClientOptions { RequestTimeout = Loopback.Limit, Insecure = true, Proxy = choice });

        var job = await client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 });
        var proxyRef = (await client.WaitUntilReadyAsync(job, Loopback.Limit, null, CancellationToken.None)).ProxyRef!;
        int restTunnels = proxy.Tunnels;
        Assert.True(restTunnels >= 1);
        await using var websocket = await SpallocProxyClient.ConnectAsync(proxyRef, client, new IgnoredMessages());

        Assert.Equal(restTunnels + 1, proxy.Tunnels); // the websocket's own connection, through the proxy too
        Assert.NotEqual(0u, await websocket.OpenAsync(0, 0, board.ScpEndPoint.Port));
        Assert.All(proxy.Targets, target => Assert.Equal($"127.0.0.1:{server.BaseUri.Port}", target));
    }

    [Fact]
    public async Task Connect_follows_https_proxy_to_a_service_only_the_proxy_resolves_and_its_boards_answer()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var server = await StartTlsServerAsync();
        using var direct = new SpallocClient(server.BaseUri, new SpallocCredentials(null, null, SpallocTestServer.AliceToken),
            new SpallocClientOptions { RequestTimeout = Loopback.Limit, Insecure = true });
        var job = await direct.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 });
        await using var proxy = new TestHttpProxy();
        proxy.Hosts[Service] = IPAddress.Loopback;
        var portsFile = _directory.File("ports.json");
        var through = new UriBuilder(server.BaseUri) { Host = Service }.Uri;

        using var connect = new BenchEnvironment(new BenchSettings()).StartRelay(
            ProxyEnvironment.Only(("https_proxy", proxy.Url())),
            "spalloc", "connect", job.Segments[^1], "--service", through.ToString(), "--token", SpallocTestServer.AliceToken, "--insecure",
            "--ports-file", portsFile, "--board-scp-port", Port(board.ScpEndPoint), "--board-boot-port", Port(board.BootEndPoint));

        Assert.True(Loopback.WaitUntil(() => (File.Exists(portsFile) && new FileInfo(portsFile).Length > 0) || connect.HasExited), connect.RecentOutput());
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(portsFile)))
        using (var scp = new ScpClient(IPEndPoint.Parse(json.RootElement.GetProperty("boards")[0].GetProperty("scp").GetString()!)))
        {
            Assert.Equal("SC&MP/SpiNNaker", scp.Version().Name);
        }

        Assert.Contains($"to {Service} through the HTTP proxy 127.0.0.1:{proxy.Port} (from https_proxy)", connect.RecentOutput(), StringComparison.Ordinal);
        Assert.True(proxy.Tunnels >= 2, $"{proxy.Tunnels} tunnels"); // the REST calls' connection and the websocket's
        Assert.All(proxy.Targets, target => Assert.Equal($"{Service}:{server.BaseUri.Port}", target));
    }

    [Fact]
    public async Task A_proxy_that_refuses_the_credentials_is_named_in_one_line_that_says_what_to_check()
    {
        await using var server = await StartTlsServerAsync();
        await using var proxy = new TestHttpProxy("alice", "s3cret");
        Assert.True(HttpProxyChoice.TryParse(proxy.Url("alice", "wrong"), out var choice, out _));
        using var client = new SpallocClient(server.BaseUri, new SpallocCredentials(null, null, SpallocTestServer.AliceToken),
            new SpallocClientOptions { RequestTimeout = Loopback.Limit, Insecure = true, Proxy = choice });

        var refused = await Assert.ThrowsAsync<SpallocClientException>(() => client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 }));

        Assert.Equal(SpallocFailure.Network, refused.Failure);
        Assert.Contains("the HTTP proxy wants credentials, or refused those given (407): check the user and password in --http-proxy", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", refused.Message, StringComparison.Ordinal);
        Assert.True(proxy.CredentialsRefused >= 1);
    }

    public void Dispose() => _directory.Dispose();

    private static string Port(IPEndPoint endPoint) => endPoint.Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>A test service over HTTPS, with a self-signed certificate (clients use --insecure).</summary>
    private Task<SpallocTestServer> StartTlsServerAsync()
    {
        Assert.Equal(0, TunnelCommand.CertgenServer(new FileInfo(_directory.File("service")), [Service, "127.0.0.1"], force: true, TextWriter.Null));
        return SpallocTestServer.StartAsync(options: o => o with { TlsCertificatePath = _directory.File("service.crt"), TlsKeyPath = _directory.File("service.key") });
    }
}
