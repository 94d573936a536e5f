using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;
using Chain = FastSpinnRelay.Relay.Tests.Tunneling.TunnelWireTests.Chain;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>
/// Per-user certificates end to end: host tools → relay tunnel connect (a client certificate, no key) → TLS on loopback →
/// relay tunnel serve (an allow list as its allow file gives it) → emulated board. A listed client reaches the board and
/// is named in the server's log; an unlisted one is refused, counted, and told why; a server with the key and a list
/// serves clients of both kinds at once.
/// </summary>
public sealed class TunnelClientCertificateWireTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    [Fact]
    public async Task A_client_with_a_listed_certificate_and_no_key_reaches_the_board_and_is_named_in_the_log()
    {
        using var board = new BoardEmulator(Loopback.Board());
        var serverLog = new TestLog();
        await using var chain = await Chain.StartAsync(board, tunnel: CertificatesOnly(serverLog), tls: AllowingAlice(), clientTls: _certificates.ClientTls(_certificates.Alice));

        Assert.Equal(0, await Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(chain.Portal.ScpEndPoint, 0x6000_0000, seed: 5)).WaitAsync(TunnelWireTests.Deadline));

        var alice = TunnelCertificates.Fingerprint(_certificates.Alice)[..TunnelPeerCertificate.ShortLength];
        Assert.True(Loopback.WaitUntil(() => serverLog.Contains($"{chain.Portal.Client.Session}: new session, peer expects 0; client: certificate {alice} (alice)")),
            serverLog.ToString());
        Assert.Equal(0, chain.Gateway.Server.RejectedConnections);
    }

    [Fact]
    public async Task A_client_whose_certificate_is_not_listed_never_reaches_the_board_and_is_told_why()
    {
        using var board = new BoardEmulator(Loopback.Board());
        var serverLog = new TestLog();
        var malloryLog = new TestLog();
        await using var chain = await Chain.StartAsync(board, tunnel: CertificatesOnly(serverLog), tls: AllowingAlice(), clientTls: _certificates.ClientTls(_certificates.Alice));
        await chain.Portal.Client.WhenConnectedAsync().WaitAsync(Loopback.Limit);

        await using var mallory = chain.ConnectAnother(log: malloryLog, tls: _certificates.ClientTls(_certificates.Mallory), withKey: false);
        using var scp = new ScpClient(mallory.ScpEndPoint) { Timeout = TimeSpan.FromMilliseconds(100), Attempts = 1 };

        var refusal = $"client certificate {TunnelCertificates.Fingerprint(_certificates.Mallory)} is not on the server's list";
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.Server.RejectedConnections >= 2), "mallory was not refused, or did not try again");
        Assert.True(Loopback.WaitUntil(() => malloryLog.Contains($"handshake failed: AuthMethodNotAllowed (peer sent ERROR AuthMethodNotAllowed: \"{refusal}\")")),
            malloryLog.ToString());
        Assert.True(Loopback.WaitUntil(() => serverLog.Lines.Any(l => l.Contains("tunnel: rejected", StringComparison.Ordinal)
            && l.EndsWith($"AuthMethodNotAllowed ({refusal})", StringComparison.Ordinal))), serverLog.ToString()); // logged just after it is counted
        Assert.Equal(TunnelCloseReason.AuthMethodNotAllowed, mallory.Client.LastFailure);
        Assert.ThrowsAny<Exception>(() => scp.Version());
        Assert.Equal(0, mallory.Client.Handshakes);
        Assert.Equal(0, board.Counters.ScpDatagrams);
        Assert.Equal(new[] { chain.Portal.Client.Session.IdText }, chain.Gateway.Server.Sessions.Select(s => s.IdText)); // only Alice's
    }

    [Fact]
    public async Task A_server_with_the_key_and_a_list_serves_a_key_client_and_a_certificate_client_at_once()
    {
        using var board = new BoardEmulator(Loopback.Board());
        var serverLog = new TestLog();
        var tunnel = new TunnelServerOptions { Key = TunnelKey.Generate(), AllowClientCertificates = true, Log = serverLog };
        await using var chain = await Chain.StartAsync(board, tunnel: tunnel, tls: AllowingAlice(), clientTls: _certificates.ClientTls(certificate: null));
        await using var alice = chain.ConnectAnother(tls: _certificates.ClientTls(_certificates.Alice), withKey: false);
        var clients = new[] { chain.Portal, alice };

        var traffic = clients.Select((c, i) => Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(c.ScpEndPoint, 0x6000_0000u + (0x1000u * (uint)i), seed: i + 1))).ToArray();
        foreach (var application in traffic)
        {
            Assert.Equal(0, await application.WaitAsync(TunnelWireTests.Deadline));
        }

        Assert.True(Loopback.WaitUntil(() => chain.Gateway.Server.AcceptedConnections == 2), $"{chain.Gateway.Server.AcceptedConnections} accepted"); // counted just after WELCOME
        Assert.True(Loopback.WaitUntil(() => serverLog.Contains($"{chain.Portal.Client.Session}: new session, peer expects 0; client: pre-shared key")
            && serverLog.Contains($"{alice.Client.Session}: new session, peer expects 0; client: certificate ")), serverLog.ToString()); // logged just after that
        Assert.Equal(0, chain.Gateway.Server.RejectedConnections);
        Assert.Equal(2, chain.Gateway.ChannelsOpened);
    }

    public void Dispose() => _certificates.Dispose();

    private static TunnelServerOptions CertificatesOnly(TestLog log) => new() { Key = null, AllowClientCertificates = true, Log = log };

    /// <summary>The server's TLS with the allow list an allow file naming Alice gives it.</summary>
    private TunnelTlsServerOptions AllowingAlice()
    {
        var list = new ClientCertificateAllowList();
        list.AddFile($"# users\n{TunnelCertificates.Fingerprint(_certificates.Alice)}  alice\n", "clients");
        return list.ApplyTo(new TunnelTlsServerOptions { Certificate = _certificates.Server });
    }
}
