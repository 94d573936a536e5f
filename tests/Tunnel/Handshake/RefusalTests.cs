using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.Handshake;

/// <summary>
/// A client with <see cref="TunnelClientOptions.StopWhenRefused"/> stops at a refusal retrying cannot fix (wrong key,
/// client certificate not on the list, the server's certificate refused), on the first attempt or a later one, and says
/// why through <see cref="TunnelClient.Stopped"/>; transient failures (nobody listening yet, the session limit) are still
/// retried until they pass. Without the option every failure is retried, as before.
/// </summary>
public sealed class RefusalTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    [Fact]
    public async Task A_wrong_key_stops_the_client_after_one_attempt_without_a_warning()
    {
        var log = new TestLog();
        await using TunnelPair pair = await TunnelPair.StartAsync(clientOptions: Stopping(log, TunnelKey.Generate()), log: log, waitConnected: false);

        TunnelRefusal? refusal = await Bounded.Wait(pair.Client.Stopped, "the client to stop");

        Assert.Equal(TunnelCloseReason.AuthenticationFailed, refusal!.Reason);
        Assert.Contains("does not match our key", refusal.Detail, StringComparison.Ordinal);
        Assert.Equal(1, pair.Client.ConnectAttempts);
        Assert.False(log.Contains("handshake failed"), log.ToString()); // the owner reports it, once
    }

    [Fact]
    public async Task Without_the_option_a_wrong_key_is_retried_as_before()
    {
        var log = new TestLog();
        await using TunnelPair pair = await TunnelPair.StartAsync(clientOptions: TunnelPair.ClientOptions(log, TunnelKey.Generate()), log: log, waitConnected: false);

        await Bounded.Until(() => pair.Client.ConnectAttempts >= 3, "three attempts");

        Assert.False(pair.Client.Stopped.IsCompleted);
        Assert.Equal(TunnelCloseReason.AuthenticationFailed, pair.Client.LastFailure);
    }

    [Fact]
    public async Task A_certificate_not_on_the_list_stops_the_client_naming_its_fingerprint()
    {
        var log = new TestLog();
        await using var listener = Listener(_certificates.Alice);
        var connector = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port, _certificates.ClientTls(_certificates.Mallory));
        await using TunnelPair pair = await TunnelPair.StartAsync(
            listener, connector, new TunnelServerOptions { AllowClientCertificates = true, Log = log }, Stopping(log, key: null), log, waitConnected: false);

        TunnelRefusal? refusal = await Bounded.Wait(pair.Client.Stopped, "the client to stop");

        Assert.Equal(TunnelCloseReason.AuthMethodNotAllowed, refusal!.Reason);
        Assert.Contains($"client certificate {TunnelCertificates.Fingerprint(_certificates.Mallory)} is not on the server's list", refusal.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_pin_stops_the_client_naming_both_fingerprints()
    {
        var log = new TestLog();
        await using var listener = Listener();
        string pin = TunnelCertificates.Fingerprint(_certificates.Alice);
        var connector = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port, new TunnelTlsClientOptions { TargetHost = "localhost", PinnedServerCertificate = pin });
        await using TunnelPair pair = await TunnelPair.StartAsync(listener, connector, clientOptions: Stopping(log), log: log, waitConnected: false);

        TunnelRefusal? refusal = await Bounded.Wait(pair.Client.Stopped, "the client to stop");

        Assert.Equal(TunnelCloseReason.ServerCertificateRejected, refusal!.Reason);
        Assert.Contains($"(SHA-256 {TunnelCertificates.Fingerprint(_certificates.Server)}), not the pinned {pin}", refusal.Detail, StringComparison.Ordinal);
        Assert.Empty(pair.Server.Sessions);
    }

    [Fact]
    public async Task An_untrusted_server_certificate_stops_a_client_that_validates_the_chain()
    {
        var log = new TestLog();
        await using var listener = Listener();
        var connector = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port, new TunnelTlsClientOptions { TargetHost = "localhost" });
        await using TunnelPair pair = await TunnelPair.StartAsync(listener, connector, clientOptions: Stopping(log), log: log, waitConnected: false);

        TunnelRefusal? refusal = await Bounded.Wait(pair.Client.Stopped, "the client to stop");

        Assert.Equal(TunnelCloseReason.ServerCertificateRejected, refusal!.Reason);
        Assert.Contains("does not chain to a trusted root", refusal.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_refused_on_reconnect_stops_then()
    {
        var log = new TestLog();
        var first = new InMemoryTunnelTransport();
        var revoked = new InMemoryTunnelTransport();
        var connector = new SwitchingConnector(first);
        await using TunnelPair pair = await TunnelPair.StartAsync(first, connector, clientOptions: Stopping(log), log: log);
        await using var otherKeyServer = new TunnelServer(new TunnelServerOptions { Key = TunnelKey.Generate(), Log = log }, revoked, new RecordingAcceptor());
        otherKeyServer.Start();

        connector.Target = revoked; // the server came back with a new key
        first.LastClientEnd!.Abort();
        TunnelRefusal? refusal = await Bounded.Wait(pair.Client.Stopped, "the client to stop");

        Assert.Equal(TunnelCloseReason.AuthenticationFailed, refusal!.Reason);
        Assert.Equal(1, pair.Client.Handshakes);
    }

    [Fact]
    public async Task A_server_not_listening_yet_is_retried_until_it_is()
    {
        var log = new TestLog();
        var memory = new InMemoryTunnelTransport();
        var connector = new RefusingFirst(memory, refusals: 3);
        await using TunnelPair pair = await TunnelPair.StartAsync(memory, connector, clientOptions: Stopping(log), log: log, waitConnected: false);

        await Bounded.Wait(pair.Client.WhenConnectedAsync(), "the client to connect once the server listens");

        Assert.Equal(4, pair.Client.ConnectAttempts);
        Assert.False(pair.Client.Stopped.IsCompleted);
    }

    [Fact]
    public async Task The_session_limit_is_retried_until_a_place_is_free()
    {
        var log = new TestLog();
        var memory = new InMemoryTunnelTransport();
        await using TunnelPair pair = await TunnelPair.StartAsync(memory, memory, new TunnelServerOptions { Key = TunnelPair.Key, MaxSessions = 1, Log = log },
            Stopping(log), log);
        await using var second = new TunnelClient(Stopping(log), memory);
        second.Start();
        await Bounded.Until(() => second.LastFailure == TunnelCloseReason.SessionLimit && second.ConnectAttempts >= 2, "the second client to be refused twice");

        await pair.Client.DisposeAsync(); // its goodbye frees the place at once

        await Bounded.Wait(second.WhenConnectedAsync(), "the second client to connect");
        Assert.False(second.Stopped.IsCompleted);
    }

    [Fact]
    public async Task Disposing_completes_stopped_without_a_refusal()
    {
        var log = new TestLog();
        TunnelPair pair = await TunnelPair.StartAsync(clientOptions: Stopping(log), log: log);

        await pair.DisposeAsync();

        Assert.Null(await Bounded.Wait(pair.Client.Stopped, "stopped"));
    }

    [Theory]
    [InlineData(TunnelCloseReason.AuthenticationFailed, true)]
    [InlineData(TunnelCloseReason.AuthMethodNotAllowed, true)]
    [InlineData(TunnelCloseReason.UnsupportedVersion, true)]
    [InlineData(TunnelCloseReason.ServerCertificateRejected, true)]
    [InlineData(TunnelCloseReason.ProxyAuthenticationFailed, true)]
    [InlineData(TunnelCloseReason.ProxyRefused, false)]
    [InlineData(TunnelCloseReason.SessionLimit, false)]
    [InlineData(TunnelCloseReason.TransportError, false)]
    [InlineData(TunnelCloseReason.HandshakeTimeout, false)]
    [InlineData(TunnelCloseReason.PeerClosed, false)]
    [InlineData(TunnelCloseReason.HandshakeViolation, false)]
    [InlineData(TunnelCloseReason.PeerShutdown, false)]
    public void Only_refusals_of_credentials_versions_certificates_and_proxy_credentials_are_final(TunnelCloseReason reason, bool final) =>
        Assert.Equal(final, reason.IsFinalRefusal());

    public void Dispose() => _certificates.Dispose();

    /// <summary>A TLS listener on loopback with the test server certificate, letting in <paramref name="allowed"/>.</summary>
    private TcpTunnelListener Listener(params System.Security.Cryptography.X509Certificates.X509Certificate2[] allowed) =>
        new(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions
        {
            Certificate = _certificates.Server,
            AllowedClientCertificates = [.. allowed.Select(TunnelCertificates.Fingerprint)],
        });

    private static TunnelClientOptions Stopping(TestLog log, TunnelKey? key = null) => new()
    {
        Key = key,
        Log = log,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(5),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
        StopWhenRefused = true,
    };

    private static TunnelClientOptions Stopping(TestLog log) => Stopping(log, TunnelPair.Key);

    /// <summary>Connects wherever <see cref="Target"/> points now: a server that came back different.</summary>
    private sealed class SwitchingConnector(ITunnelConnector target) : ITunnelConnector
    {
        public ITunnelConnector Target { get; set; } = target;

        public ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken) => Target.ConnectAsync(cancellationToken);
    }

    /// <summary>Connection refused (nobody listening) for the first <paramref name="refusals"/> attempts, then <paramref name="inner"/>.</summary>
    private sealed class RefusingFirst(ITunnelConnector inner, int refusals) : ITunnelConnector
    {
        private int _attempts;

        public ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _attempts) <= refusals
                ? throw new SocketException((int)SocketError.ConnectionRefused)
                : inner.ConnectAsync(cancellationToken);
    }
}
