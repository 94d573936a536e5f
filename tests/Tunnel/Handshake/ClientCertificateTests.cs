using System.Net;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Internal;
using FastSpinnRelay.Tunnel.Tests.TestSupport;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.Handshake;

/// <summary>
/// TLS client certificates (auth method 2) over real TLS on loopback: only one on the server's list gets a session, a
/// refusal names the certificate to both ends and is counted, and the server's log says who opened each session.
/// </summary>
public sealed class ClientCertificateTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    [Fact]
    public async Task A_certificate_not_on_the_list_is_refused_by_its_fingerprint_and_counted()
    {
        var log = new TestLog();
        await using TcpTunnelListener listener = Listener();
        await using TunnelPair pair = await TunnelPair.StartAsync(
            listener, Connector(_certificates.Mallory, listener), CertificateServer(log), TunnelPair.CertificateClientOptions(log), log, waitConnected: false);

        await Bounded.Until(() => pair.Server.RejectedConnections >= 2, "two refused attempts");
        string refusal = $"client certificate {TunnelCertificates.Fingerprint(_certificates.Mallory)} is not on the server's list";
        Assert.Equal(TunnelCloseReason.AuthMethodNotAllowed, pair.Client.LastFailure);
        // Each end logs just after the refusal is counted or received: wait for the lines, not the counters.
        await Bounded.Until(() => log.Lines.Any(l => l.Contains("tunnel: rejected", StringComparison.Ordinal) && l.Contains(refusal, StringComparison.Ordinal)),
            "the server's warning", log.ToString);
        await Bounded.Until(() => log.Lines.Any(l => l.Contains("handshake failed", StringComparison.Ordinal) && l.Contains(refusal, StringComparison.Ordinal)),
            "the client's warning", log.ToString);
        Assert.Empty(pair.Server.Sessions);
        Assert.Equal(0, pair.Server.AcceptedConnections);
        Assert.Equal(0, pair.ServerAcceptor.Calls);
    }

    [Fact]
    public async Task A_client_without_a_certificate_cannot_use_method_2_and_is_told_so()
    {
        var log = new TestLog();
        await using TcpTunnelListener listener = Listener();
        await using TunnelPair pair = await TunnelPair.StartAsync(
            listener, Connector(certificate: null, listener), CertificateServer(log), TunnelPair.CertificateClientOptions(log), log, waitConnected: false);

        await Bounded.Until(() => pair.Server.RejectedConnections >= 1, "a refused attempt");
        await Bounded.Until(() => log.Contains("no client certificate was presented"), "the refusal in the log", log.ToString);
        Assert.Empty(pair.Server.Sessions);
    }

    [Fact]
    public async Task A_server_without_client_certificates_says_it_takes_the_key_only()
    {
        var log = new TestLog();
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions { Certificate = _certificates.Server });
        await using TunnelPair pair = await TunnelPair.StartAsync(
            listener, Connector(_certificates.Alice, listener), TunnelPair.ServerOptions(log), TunnelPair.CertificateClientOptions(log), log, waitConnected: false);

        await Bounded.Until(() => log.Contains("client certificates are not accepted here, only the pre-shared key"), "the refusal in the log", log.ToString);
        // The server logs the refusal as it sends it; the client records it a moment later.
        await Bounded.Until(() => pair.Client.LastFailure == TunnelCloseReason.AuthMethodNotAllowed, "the client to record the refusal", () => $"{pair.Client.LastFailure}");
        Assert.Empty(pair.Server.Sessions);
    }

    [Fact]
    public async Task A_server_with_the_key_and_a_list_takes_both_and_logs_who_opened_each_session()
    {
        var log = new TestLog();
        var serverOptions = new TunnelServerOptions { Key = TunnelPair.Key, AllowClientCertificates = true, Log = log };
        await using TcpTunnelListener listener = Listener();
        await using TunnelPair withCertificate = await TunnelPair.StartAsync(listener, Connector(_certificates.Alice, listener), serverOptions, TunnelPair.CertificateClientOptions(log), log);
        await using var withKey = new TunnelClient(TunnelPair.ClientOptions(log), Connector(certificate: null, listener), new RecordingAcceptor());
        withKey.Start();
        await Bounded.Wait(withKey.WhenConnectedAsync(), "the client with the key to connect");

        // The server logs each session just after WELCOME: wait for the lines.
        string alice = TunnelCertificates.Fingerprint(_certificates.Alice)[..TunnelPeerCertificate.ShortLength];
        await Bounded.Until(() => log.Lines.Any(l => l.Contains($"{withCertificate.Client.Session}: new session", StringComparison.Ordinal)
            && l.EndsWith($"client: certificate {alice} (alice)", StringComparison.Ordinal)), "the certificate's session in the log", log.ToString);
        await Bounded.Until(() => log.Lines.Any(l => l.Contains($"{withKey.Session}: new session", StringComparison.Ordinal)
            && l.EndsWith("client: pre-shared key", StringComparison.Ordinal)), "the key's session in the log", log.ToString);
        Assert.Equal(2, withCertificate.Server.Sessions.Count);
        Assert.Equal(2, withCertificate.Server.AcceptedConnections);
        Assert.Equal(0, withCertificate.Server.RejectedConnections);
    }

    [Theory]
    [InlineData("3F9A1C0B2D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8")]
    [InlineData("3f:9a:1c:0b:2d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9:0a:1b:2c:3d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8")]
    [InlineData("  3f9a1c0b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8\t")]
    public void Fingerprints_are_read_in_either_case_with_or_without_colons(string text)
    {
        Assert.True(TunnelCertificates.TryParseFingerprint(text, out string? fingerprint));
        Assert.Equal("3f9a1c0b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8", fingerprint);
    }

    [Theory]
    [InlineData("")]
    [InlineData("3f9a")]
    [InlineData("3f9a1c0b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e")] // 63 digits
    [InlineData("3f9a1c0b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e80")] // 65
    [InlineData("zz9a1c0b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8")]
    [InlineData("3f9a1c0b2d4e5f60718293a4b5c6d7e8 f90a1b2c3d4e5f60718293a4b5c6d7e8")]
    public void Anything_but_64_hex_digits_is_not_a_fingerprint(string text) => Assert.False(TunnelCertificates.TryParseFingerprint(text, out _));

    [Fact]
    public void A_certificate_matches_its_fingerprint_in_any_accepted_spelling()
    {
        string fingerprint = TunnelCertificates.Fingerprint(_certificates.Alice);
        string colons = string.Join(':', Enumerable.Range(0, 32).Select(i => fingerprint.Substring(2 * i, 2))).ToUpperInvariant();

        Assert.True(TunnelCertificates.SameFingerprint(fingerprint, _certificates.Alice));
        Assert.True(TunnelCertificates.SameFingerprint(colons, _certificates.Alice));
        Assert.False(TunnelCertificates.SameFingerprint(TunnelCertificates.Fingerprint(_certificates.Mallory), _certificates.Alice));
        Assert.False(TunnelCertificates.SameFingerprint(fingerprint[..^1], _certificates.Alice));
    }

    [Fact]
    public async Task A_session_is_resumed_only_by_the_certificate_that_opened_it()
    {
        var log = new TestLog();
        await using TcpTunnelListener listener = Listener(_certificates.Alice, _certificates.Mallory);
        await using TunnelPair pair = await TunnelPair.StartAsync(listener, Connector(_certificates.Alice, listener), CertificateServer(log), TunnelPair.CertificateClientOptions(log), log);
        byte[] alices = pair.Client.Session.Id.ToArray();

        // Mallory, also on the list, presents Alice's session id (as if it had leaked) and asks to resume it.
        await using ITunnelConnection mallory = await Connector(_certificates.Mallory, listener).ConnectAsync(CancellationToken.None);
        HandshakeResult result = await Bounded.Wait(ClientHandshake.RunAsync(mallory, TunnelPair.CertificateClientOptions(log), alices, 0, CancellationToken.None), "Mallory's handshake");

        Assert.True(result.Succeeded, result.Detail);
        Assert.False(result.Resumed);
        Assert.NotEqual(alices, result.SessionId);
        await Bounded.Until(() => log.Contains("asked to resume a session another client opened"), "the server's warning", log.ToString);
        Assert.True(pair.Client.Session.IsConnected);
        Assert.False(log.Contains("session resumed by"), log.ToString());
        Assert.Equal(2, pair.Server.Sessions.Count);
    }

    public void Dispose() => _certificates.Dispose();

    /// <summary>A TLS listener that allows Alice's certificate, by name.</summary>
    private TcpTunnelListener Listener()
    {
        string alice = TunnelCertificates.Fingerprint(_certificates.Alice);
        return new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions
        {
            Certificate = _certificates.Server,
            AllowedClientCertificates = [alice],
            ClientCertificateNames = new Dictionary<string, string> { [alice] = "alice" },
        });
    }

    /// <summary>A TLS listener that allows each of <paramref name="allowed"/>.</summary>
    private TcpTunnelListener Listener(params X509Certificate2[] allowed) =>
        new(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions
        {
            Certificate = _certificates.Server,
            AllowedClientCertificates = [.. allowed.Select(TunnelCertificates.Fingerprint)],
        });

    /// <summary>A TLS connector to <paramref name="listener"/> that pins the server and presents <paramref name="certificate"/>, if any.</summary>
    private TcpTunnelConnector Connector(X509Certificate2? certificate, TcpTunnelListener listener) =>
        new("127.0.0.1", listener.LocalEndPoint.Port, _certificates.ClientTls(certificate));

    private static TunnelServerOptions CertificateServer(TestLog log) => new() { Key = null, AllowClientCertificates = true, Log = log };
}
