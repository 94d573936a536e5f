using System.Net;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Transport;
using static FastSpinnRelay.Relay.Tests.Tunneling.TunnelWireTests;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>
/// Host tools → relay tunnel connect → an HTTP CONNECT proxy → relay tunnel serve → emulated board, plain and with TLS
/// and a pin: the client asks the proxy for a name only the proxy resolves, so SCP that works went through it.
/// </summary>
public sealed class TunnelHttpProxyWireTests : IDisposable
{
    private const string Gateway = "gateway.invalid";

    private readonly TestCertificates _certificates = new();

    [Fact]
    public async Task SCP_writes_and_reads_through_a_plain_tunnel_inside_the_proxy()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var proxy = new TestHttpProxy();
        proxy.Hosts[Gateway] = IPAddress.Loopback;
        await using var chain = await Chain.StartAsync(board, httpProxy: new TunnelHttpProxy("127.0.0.1", proxy.Port), serverHost: Gateway);
        using var scp = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        var data = new byte[1000];
        new Random(5).NextBytes(data);
        var back = new byte[data.Length];

        scp.Write(0x6000_0000, data);
        scp.Read(0x6000_0000, back);

        Assert.Equal(data, back);
        Assert.True(proxy.Tunnels >= 1);
        Assert.All(proxy.Targets, target => Assert.Equal($"{Gateway}:{chain.Gateway.ListenEndPoint.Port}", target));
    }

    [Fact]
    public async Task SCP_passes_through_a_tls_tunnel_with_a_pin_inside_a_proxy_that_wants_credentials()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var proxy = new TestHttpProxy("alice", "s3cret");
        proxy.Hosts[Gateway] = IPAddress.Loopback;
        await using var chain = await Chain.StartAsync(board,
            tls: new TunnelTlsServerOptions { Certificate = _certificates.Server }, clientTls: _certificates.ClientTls(certificate: null),
            httpProxy: new TunnelHttpProxy("127.0.0.1", proxy.Port, "alice", "s3cret"), serverHost: Gateway);
        using var scp = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };

        Assert.Equal("SC&MP/SpiNNaker", scp.Version().Name);

        Assert.Equal(0, proxy.CredentialsRefused);
        Assert.True(proxy.Tunnels >= 1);
    }

    public void Dispose() => _certificates.Dispose();
}
