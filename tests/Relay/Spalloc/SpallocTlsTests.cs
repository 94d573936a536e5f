using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Relay.Spalloc.Client;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>TLS from a PEM certificate and key: https for the API, wss for the proxy.</summary>
public sealed class SpallocTlsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("spalloc-tls").FullName;

    [Fact]
    public async Task Https_and_wss_work_with_a_pem_certificate_and_key()
    {
        var (certPath, keyPath) = WriteSelfSigned();
        using var board = new FastSpinnRelay.Relay.Emulator.BoardEmulator(Loopback.Board());
        await using var server = await SpallocTestServer.StartAsync(options: o => o with { TlsCertificatePath = certPath, TlsKeyPath = keyPath });
        Assert.Equal("https", server.BaseUri.Scheme);
        using var alice = await server.LoginAsync();
        Assert.StartsWith("https://", alice.JobsUrl, StringComparison.Ordinal);
        var job = await alice.CreateJobAsync();
        var proxy = await alice.ProxyUriAsync(job);
        Assert.Equal("wss", proxy.Scheme);
        await using var client = await ProxyClient.ConnectAsync(proxy, alice.Cookies);
        Assert.NotEqual(0u, await client.OpenAsync(0, 0, board.ScpEndPoint.Port));
        Assert.Contains(alice.Cookies.GetCookies(server.BaseUri), c => c.Name == "JSESSIONID" && c.Secure);
    }

    [Fact]
    public async Task The_connect_side_proxy_client_opens_channels_over_wss_with_an_untrusted_certificate_when_insecure()
    {
        // Its websocket runs on a handler of its own (the connection gathers writes), which must carry the TLS setting.
        var (certPath, keyPath) = WriteSelfSigned();
        using var board = new FastSpinnRelay.Relay.Emulator.BoardEmulator(Loopback.Board());
        await using var server = await SpallocTestServer.StartAsync(options: o => o with { TlsCertificatePath = certPath, TlsKeyPath = keyPath });
        using var client = new SpallocClient(
            server.BaseUri,
            new SpallocCredentials(null, null, SpallocTestServer.AliceToken),
            new SpallocClientOptions { RequestTimeout = Loopback.Limit, Insecure = true });
        var job = await client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 });
        var proxyRef = (await client.WaitUntilReadyAsync(job, Loopback.Limit, null, CancellationToken.None)).ProxyRef!;
        Assert.Equal("wss", proxyRef.Scheme);

        await using var proxy = await SpallocProxyClient.ConnectAsync(proxyRef, client, new IgnoredMessages());
        Assert.NotEqual(0u, await proxy.OpenAsync(0, 0, board.ScpEndPoint.Port));
        Assert.NotEqual(0u, await proxy.OpenAsync(0, 0, board.BootEndPoint.Port));
    }

    [Fact]
    public async Task A_missing_certificate_is_reported_naming_the_file()
    {
        var missing = Path.Combine(_directory, "nope.pem");
        var ex = await Assert.ThrowsAsync<SpallocCertificateException>(() => SpallocTestServer.StartAsync(options: o => o with { TlsCertificatePath = missing }));
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private (string Cert, string Key) WriteSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(_directory, "cert.pem");
        var keyPath = Path.Combine(_directory, "key.pem");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }
}
