using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.TransportStreams;

/// <summary>
/// <see cref="TcpTunnelConnector"/> through an HTTP proxy (a <see cref="TestHttpProxy"/> on loopback): the tunnel, with
/// TLS and a pin, runs inside the proxy's tunnel to a name only the proxy resolves; Basic credentials; each way a proxy
/// can refuse or misbehave is one clear error naming the proxy and the server (never the password); and which of them
/// stop a client that stops when refused.
/// </summary>
public sealed class HttpProxyConnectorTests : IDisposable
{
    private const string Gateway = "gateway.invalid"; // resolves nowhere but in the test proxy

    private readonly TestCertificates _certificates = new();

    [Fact]
    public async Task A_tls_tunnel_with_a_pin_runs_through_the_proxy_to_a_name_only_the_proxy_resolves()
    {
        var log = new TestLog();
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions { Certificate = _certificates.Server });
        await using var proxy = new TestHttpProxy();
        proxy.Hosts[Gateway] = IPAddress.Loopback;
        var connector = new TcpTunnelConnector(Gateway, listener.LocalEndPoint.Port, _certificates.ClientTls(certificate: null))
        {
            HttpProxy = new TunnelHttpProxy("127.0.0.1", proxy.Port),
        };

        await using TunnelPair pair = await TunnelPair.StartAsync(listener, connector, log: log);

        Assert.Equal([$"{Gateway}:{listener.LocalEndPoint.Port}"], proxy.Targets);
        Assert.Equal(1, proxy.Tunnels);
        // The client logs the connection just after it is attached (what StartAsync waited for): wait for the line.
        await Bounded.Until(() => log.Contains($"connected to {Gateway}:{listener.LocalEndPoint.Port} through the HTTP proxy 127.0.0.1:{proxy.Port}"),
            "the client's line", log.ToString);
    }

    [Fact]
    public async Task Basic_credentials_open_a_proxy_that_wants_them()
    {
        const string password = "p@ss:wörd";
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0));
        await using var proxy = new TestHttpProxy("alice", password);
        var connector = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port) { HttpProxy = new TunnelHttpProxy("127.0.0.1", proxy.Port, "alice", password) };

        await using TunnelPair pair = await TunnelPair.StartAsync(listener, connector);

        Assert.Equal((1, 0), (proxy.Tunnels, proxy.CredentialsRefused));
    }

    [Fact]
    public async Task Without_credentials_a_407_says_the_proxy_wants_some_and_names_the_proxy_and_the_server()
    {
        await using var proxy = new TestHttpProxy("alice", "secret");
        var connector = Through(new TunnelHttpProxy("127.0.0.1", proxy.Port));

        var ex = await Assert.ThrowsAsync<TunnelHttpProxyException>(async () => await connector.ConnectAsync(CancellationToken.None));

        Assert.True(ex.WantsCredentials);
        Assert.Equal($"the HTTP proxy 127.0.0.1:{proxy.Port} wants credentials to open a tunnel to {Gateway}:17896: 407 Proxy Authentication Required; " +
            "it asks for Basic", ex.Message);
    }

    [Fact]
    public async Task Wrong_credentials_are_refused_naming_the_user_and_never_the_password()
    {
        await using var proxy = new TestHttpProxy("alice", "secret");
        var connector = Through(new TunnelHttpProxy("127.0.0.1", proxy.Port, "alice", "wrong-password"));

        var ex = await Assert.ThrowsAsync<TunnelHttpProxyException>(async () => await connector.ConnectAsync(CancellationToken.None));

        Assert.Equal(407, ex.StatusCode);
        Assert.StartsWith($"the HTTP proxy 127.0.0.1:{proxy.Port} refused the credentials of user 'alice' for a tunnel to {Gateway}:17896: 407", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, proxy.CredentialsRefused);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 Connection established\r\nVia: 1.1 test\r\n\r\nHELLO")]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Connection established\r\n\r\nHELLO")] // the interim answer skipped
    public async Task The_answer_is_read_to_its_blank_line_and_not_one_byte_further(string answer)
    {
        await using var proxy = new TestHttpProxy { ScriptedAnswer = Encoding.ASCII.GetBytes(answer) };
        var connector = Through(new TunnelHttpProxy("127.0.0.1", proxy.Port));

        await using ITunnelConnection connection = await connector.ConnectAsync(CancellationToken.None);

        Assert.Equal("HELLO", Encoding.ASCII.GetString(await ReadToEndAsync(connection.Transport.Input)));
        Assert.Equal($"{Gateway}:17896 through the HTTP proxy 127.0.0.1:{proxy.Port}", connection.RemoteDescription);
    }

    [Fact]
    public async Task A_tls_tunnel_runs_through_a_proxy_that_says_100_Continue_before_its_200()
    {
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions { Certificate = _certificates.Server });
        await using var proxy = new TestHttpProxy { InterimAnswers = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX-Hint: 1\r\n\r\n"u8.ToArray() };
        var connector = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port, _certificates.ClientTls(certificate: null))
        {
            HttpProxy = new TunnelHttpProxy("127.0.0.1", proxy.Port),
        };

        await using TunnelPair pair = await TunnelPair.StartAsync(listener, connector);

        Assert.Equal(1, proxy.Tunnels); // and TLS began right after the 200's blank line: the handshake would have failed otherwise
    }

    public static TheoryData<string, int, string> BadAnswers => new()
    {
        { "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", 403, "refused a tunnel to gateway.invalid:17896: 403 Forbidden (many proxies allow CONNECT to port 443 only" },
        { "HTTP/1.1 502 Bad Gateway\r\n\r\n", 502, "could not reach gateway.invalid:17896: 502 Bad Gateway" },
        { "HTTP/1.1 503 Service Unavailable\r\n\r\n", 503, "did not open a tunnel to gateway.invalid:17896: 503 Service Unavailable" },
        { "HTTP/1.0 301 \u001b[31mMoved\r\n\r\n", 301, "did not open a tunnel to gateway.invalid:17896: 301 \\x1b[31mMoved" },
        { "", 0, "closed the connection before answering CONNECT gateway.invalid:17896" },
        { "HTTP/1.1 200 Connection established\r\n", 0, "closed the connection in the middle of its answer to CONNECT gateway.invalid:17896, after 37 bytes" },
        { "SSH-2.0-OpenSSH_9.6\r\n", 0, "answered CONNECT gateway.invalid:17896 with something that is not an HTTP answer (it does not start with HTTP/1.): 'SSH-2.0-OpenSSH_9.6\\x0d\\x0a'" },
        { "HTTP/1.1 200 OK\n\n", 0, "with something that is not an HTTP answer (a line does not end with CRLF)" },
        { "HTTP/1.1 999 Odd\r\n\r\n", 0, "with something that is not an HTTP answer (its status line is not HTTP/1.x NNN REASON)" },
        { "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 407 Proxy Authentication Required\r\n\r\n", 407, "wants credentials to open a tunnel to gateway.invalid:17896: 407 Proxy Authentication Required" },
        { "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", 0, "with something that is not an HTTP answer (101 Switching Protocols, which does not open a tunnel)" },
        { string.Concat(Enumerable.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 5)) + "HTTP/1.1 200 OK\r\n\r\n", 0, "with something that is not an HTTP answer (more than 4 interim 1xx answers before a final one)" },
        { "HTTP/1.1 100 Continue\r\n\r\n", 0, "closed the connection in the middle of its answer to CONNECT gateway.invalid:17896, after 25 bytes" },
        { "HTTP/1.1 200 OK\r\nX: " + new string('y', 9000), 0, "with something that is not an HTTP answer (no blank line within 8192 bytes): 'HTTP/1.1 200 OK\\x0d\\x0aX: yyy" },
    };

    [Theory]
    [MemberData(nameof(BadAnswers))]
    public async Task Each_refusal_or_bad_answer_is_one_error_naming_the_proxy_the_server_and_what_it_said(string answer, int status, string expected)
    {
        await using var proxy = new TestHttpProxy { ScriptedAnswer = Encoding.Latin1.GetBytes(answer) };
        var connector = Through(new TunnelHttpProxy("127.0.0.1", proxy.Port));

        var ex = await Assert.ThrowsAsync<TunnelHttpProxyException>(async () => await connector.ConnectAsync(CancellationToken.None));

        Assert.Equal(status, ex.StatusCode);
        Assert.StartsWith($"the HTTP proxy 127.0.0.1:{proxy.Port} ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.False(ex.Message.Any(char.IsControl), ex.Message);
    }

    [Fact]
    public async Task A_403_for_port_443_gets_no_hint_about_port_443()
    {
        await using var proxy = new TestHttpProxy { ScriptedAnswer = "HTTP/1.1 403 Forbidden\r\n\r\n"u8.ToArray() };
        var connector = new TcpTunnelConnector(Gateway, 443) { HttpProxy = new TunnelHttpProxy("127.0.0.1", proxy.Port) };

        var ex = await Assert.ThrowsAsync<TunnelHttpProxyException>(async () => await connector.ConnectAsync(CancellationToken.None));

        Assert.Equal($"the HTTP proxy 127.0.0.1:{proxy.Port} did not open a tunnel to {Gateway}:443: 403 Forbidden", ex.Message);
    }

    [Fact]
    public async Task A_silent_proxy_is_given_up_at_the_connect_timeout()
    {
        await using var proxy = new TestHttpProxy { Silent = true };
        var connector = new TcpTunnelConnector(Gateway, 17896) { HttpProxy = new TunnelHttpProxy("127.0.0.1", proxy.Port), ConnectTimeout = TimeSpan.FromMilliseconds(200) };

        var ex = await Assert.ThrowsAsync<TunnelHttpProxyException>(async () => await connector.ConnectAsync(CancellationToken.None));

        Assert.Equal($"the HTTP proxy 127.0.0.1:{proxy.Port} did not answer CONNECT {Gateway}:17896 within 0.2 s", ex.Message);
        await Bounded.Until(() => proxy.Connects == 1, "the proxy to have read the CONNECT"); // it had: the client waited for its answer
    }

    [Fact]
    public async Task A_proxy_that_cannot_be_reached_is_named_with_the_server()
    {
        using var nobody = new RefusingTcpPort();
        var connector = new TcpTunnelConnector(Gateway, 17896) { HttpProxy = new TunnelHttpProxy("127.0.0.1", nobody.Port) };

        var ex = await Assert.ThrowsAsync<IOException>(async () => await connector.ConnectAsync(CancellationToken.None));

        Assert.IsNotType<TunnelHttpProxyException>(ex); // as the server itself unreachable: retried quietly
        Assert.StartsWith($"cannot reach the HTTP proxy 127.0.0.1:{nobody.Port} (for a tunnel to {Gateway}:17896): ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_stops_when_refused_stops_at_a_407_with_why()
    {
        var log = new TestLog();
        await using var proxy = new TestHttpProxy("alice", "secret");
        await using var client = new TunnelClient(Options(log, stopWhenRefused: true), Through(new TunnelHttpProxy("127.0.0.1", proxy.Port, "alice", "wrong")));

        client.Start();
        TunnelRefusal? refusal = await Bounded.Wait(client.Stopped, "the client to stop");

        Assert.Equal(TunnelCloseReason.ProxyAuthenticationFailed, refusal!.Reason);
        Assert.Contains("refused the credentials of user 'alice'", refusal.Detail, StringComparison.Ordinal);
        Assert.Equal(1, client.ConnectAttempts);
    }

    [Fact]
    public async Task With_retry_when_refused_a_407_is_a_warning_per_attempt()
    {
        var log = new TestLog();
        await using var proxy = new TestHttpProxy("alice", "secret");
        await using var client = new TunnelClient(Options(log, stopWhenRefused: false), Through(new TunnelHttpProxy("127.0.0.1", proxy.Port)));

        client.Start();
        await Bounded.Until(() => log.Lines.Count(l => l.StartsWith("Warning: tunnel: connect failed: the HTTP proxy", StringComparison.Ordinal)) >= 2,
            "two warnings", log.ToString);

        Assert.Equal(TunnelCloseReason.ProxyAuthenticationFailed, client.LastFailure);
        Assert.False(client.Stopped.IsCompleted);
    }

    [Fact]
    public async Task A_502_from_a_proxy_that_cannot_reach_the_server_is_retried_even_by_a_client_that_stops_when_refused()
    {
        var log = new TestLog();
        using var nobody = new RefusingTcpPort();
        await using var proxy = new TestHttpProxy();
        var connector = new TcpTunnelConnector("127.0.0.1", nobody.Port) { HttpProxy = new TunnelHttpProxy("127.0.0.1", proxy.Port) };
        await using var client = new TunnelClient(Options(log, stopWhenRefused: true), connector);

        client.Start();
        await Bounded.Until(() => log.Lines.Count(l => l.Contains("could not reach 127.0.0.1:", StringComparison.Ordinal)) >= 2, "two attempts", log.ToString);

        Assert.Equal(TunnelCloseReason.ProxyRefused, client.LastFailure);
        Assert.False(client.Stopped.IsCompleted);
        Assert.Contains(log.Lines, l => l.StartsWith($"Warning: tunnel: connect failed: the HTTP proxy 127.0.0.1:{proxy.Port} could not reach 127.0.0.1:{nobody.Port}: 502 Bad Gateway", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("", 3128, null, null)]
    [InlineData("proxy example", 3128, null, null)]
    [InlineData("prøxy.example.org", 3128, null, null)]
    [InlineData("proxy.example.org", 0, null, null)]
    [InlineData("proxy.example.org", 65536, null, null)]
    [InlineData("proxy.example.org", 3128, "al:ice", "x")]
    [InlineData("proxy.example.org", 3128, "al\nice", "x")]
    [InlineData("proxy.example.org", 3128, null, "x")]
    public void A_proxy_that_cannot_be_asked_is_refused_when_made(string host, int port, string? user, string? password) =>
        Assert.ThrowsAny<ArgumentException>(() => new TunnelHttpProxy(host, port, user, password));

    [Fact]
    public void A_proxy_shows_as_host_and_port_only_and_a_server_that_cannot_go_into_connect_is_refused()
    {
        Assert.Equal("proxy.example.org:3128", new TunnelHttpProxy("proxy.example.org", 3128, "alice", "secret").ToString());
        Assert.Equal("[::1]:3128", new TunnelHttpProxy("::1", 3128).ToString());
        Assert.Throws<ArgumentException>(() => new TcpTunnelConnector("gate way\r\nX: y", 17896) { HttpProxy = new TunnelHttpProxy("127.0.0.1", 3128) });
    }

    public void Dispose() => _certificates.Dispose();

    /// <summary>A connector to gateway.invalid:17896 through <paramref name="proxy"/>.</summary>
    private static TcpTunnelConnector Through(TunnelHttpProxy proxy) => new(Gateway, 17896) { HttpProxy = proxy };

    private static TunnelClientOptions Options(TestLog log, bool stopWhenRefused) => new()
    {
        Key = TunnelPair.Key,
        Log = log,
        StopWhenRefused = stopWhenRefused,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(5),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
    };

    private static async Task<byte[]> ReadToEndAsync(PipeReader input)
    {
        while (true)
        {
            ReadResult read = await Bounded.Wait(input.ReadAsync().AsTask(), "the tunnel's bytes");
            if (read.IsCompleted)
            {
                byte[] all = read.Buffer.ToArray();
                input.AdvanceTo(read.Buffer.End);
                return all;
            }

            input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }
}
