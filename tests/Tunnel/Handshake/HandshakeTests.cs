using System.Net;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.Handshake;

/// <summary>Nobody gets a session without the key and a common version; every refusal is bounded in time and logged.</summary>
public class HandshakeTests
{
    [Fact]
    public async Task The_right_key_gets_a_session_with_the_same_id_on_both_ends()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();

        Assert.True(pair.Client.Session.Id.SequenceEqual(pair.ServerSession.Id));
        Assert.True(pair.Client.Session.Id.IndexOfAnyExcept((byte)0) >= 0);
        Assert.Equal(1, pair.Server.AcceptedConnections);
        Assert.Equal(0, pair.Server.RejectedConnections);
    }

    [Fact]
    public async Task A_wrong_key_is_refused_by_both_ends_and_never_reaches_the_acceptor()
    {
        var log = new TestLog();
        await using TunnelPair pair = await TunnelPair.StartAsync(
            clientOptions: TunnelPair.ClientOptions(log, TunnelKey.Generate()), log: log, waitConnected: false);

        await Bounded.Until(() => pair.Server.RejectedConnections >= 2, "two refused attempts");
        Assert.Equal(TunnelCloseReason.AuthenticationFailed, pair.Client.LastFailure);
        Assert.Empty(pair.Server.Sessions);
        Assert.Equal(0, pair.ServerAcceptor.Calls);
        Assert.False(pair.Client.Session.IsConnected);
        Assert.True(log.Contains("the server's proof does not match our key"), log.ToString());
        Assert.True(log.Contains("rejected"), log.ToString());
    }

    [Fact]
    public async Task Refused_attempts_are_all_counted_but_their_warnings_are_capped()
    {
        var log = new TestLog();
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using TunnelPair pair = await TunnelPair.StartAsync(
            clientOptions: TunnelPair.ClientOptions(log, TunnelKey.Generate()), log: log, waitConnected: false);

        await Bounded.Until(() => pair.Server.RejectedConnections >= 15, "fifteen refused attempts");
        int windows = 1 + (int)(started.Elapsed / TimeSpan.FromSeconds(10));

        int warnings = log.Lines.Count(l => l.Contains("tunnel: rejected", StringComparison.Ordinal));
        Assert.InRange(warnings, 1, TunnelServer.RefusalLogBurst * windows);
    }

    [Fact]
    public async Task A_peer_without_the_key_gets_ERROR_AuthenticationFailed_and_is_closed()
    {
        (TunnelPair pair, RawPeer peer) = await ServerAndRawPeer();
        await using TunnelPair disposePair = pair;
        await using RawPeer disposePeer = peer;

        await peer.SendAsync(RawPeer.Hello());
        byte[]? challenge = await peer.ReceiveAsync();
        Assert.Equal(TunnelFrameError.None, TunnelChallenge.TryRead(challenge, out _));
        var auth = new byte[TunnelAuth.Length];
        TunnelFrameWriter.TryWriteAuth(auth, new byte[32], new byte[16], 0, out _); // a proof it cannot compute
        await peer.SendAsync(auth);

        Assert.Equal(TunnelErrorCode.AuthenticationFailed, await peer.ReceiveUntilClosedAsync());
        await Bounded.Until(() => pair.Log.Contains("AuthenticationFailed"), "the refusal to be logged");
        Assert.Empty(pair.Server.Sessions);
        Assert.Equal(0, pair.ServerAcceptor.Calls);
    }

    [Fact]
    public async Task A_client_without_a_key_is_refused_when_certificates_are_not_allowed()
    {
        var log = new TestLog();
        var options = new TunnelClientOptions { Key = null, Log = log, ReconnectMinDelay = TimeSpan.FromMilliseconds(5), ReconnectMaxDelay = TimeSpan.FromMilliseconds(20) };
        await using TunnelPair pair = await TunnelPair.StartAsync(clientOptions: options, log: log, waitConnected: false);

        await Bounded.Until(() => pair.Client.LastFailure == TunnelCloseReason.AuthMethodNotAllowed, "the refusal");
        Assert.Empty(pair.Server.Sessions);
        Assert.True(log.Contains("AuthMethodNotAllowed"), log.ToString());
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(1, 0)] // malformed range
    public async Task A_wrong_version_is_refused(byte min, byte max)
    {
        (TunnelPair pair, RawPeer peer) = await ServerAndRawPeer();
        await using TunnelPair disposePair = pair;
        await using RawPeer disposePeer = peer;

        byte[] hello = RawPeer.Hello();
        hello[12] = min;
        hello[13] = max;
        await peer.SendAsync(hello);

        TunnelErrorCode? code = await peer.ReceiveUntilClosedAsync();
        if (min <= max)
        {
            Assert.Equal(TunnelErrorCode.UnsupportedVersion, code);
            await Bounded.Until(() => pair.Log.Contains("UnsupportedVersion"), "the refusal to be logged");
        }
        else
        {
            await Bounded.Until(() => pair.Log.Contains("HandshakeViolation"), "the refusal to be logged");
        }

        Assert.Empty(pair.Server.Sessions);
    }

    [Fact]
    public async Task A_silent_peer_is_closed_after_the_handshake_timeout()
    {
        var log = new TestLog();
        var options = new TunnelServerOptions { Key = TunnelPair.Key, Log = log, HandshakeTimeout = TimeSpan.FromMilliseconds(100) };
        (TunnelPair pair, RawPeer peer) = await ServerAndRawPeer(options, log);
        await using TunnelPair disposePair = pair;
        await using RawPeer disposePeer = peer;

        Assert.Null(await peer.ReceiveUntilClosedAsync());
        Assert.True(log.Contains("HandshakeTimeout"), log.ToString());
    }

    [Fact]
    public async Task An_oversized_first_frame_is_refused_from_its_header()
    {
        (TunnelPair pair, RawPeer peer) = await ServerAndRawPeer();
        await using TunnelPair disposePair = pair;
        await using RawPeer disposePeer = peer;

        await peer.SendAsync([0x00, 0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00]); // announces 1 MiB, sends none of it

        await peer.ReceiveUntilClosedAsync();
        await Bounded.Until(() => pair.Log.Contains("FrameTooLarge"), "the refusal to be logged");
    }

    [Fact]
    public async Task Over_loopback_tcp_a_wrong_key_is_refused_and_the_right_one_works()
    {
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0));
        var connector = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port);
        var log = new TestLog();
        var server = new TunnelServer(TunnelPair.ServerOptions(log), listener, new RecordingAcceptor());
        server.Start();
        await using (server)
        {
            await using (var wrong = new TunnelClient(TunnelPair.ClientOptions(log, TunnelKey.Generate()), connector))
            {
                wrong.Start();
                await Bounded.Until(() => wrong.LastFailure == TunnelCloseReason.AuthenticationFailed, "the wrong key to be refused");
            }

            await using var right = new TunnelClient(TunnelPair.ClientOptions(log), connector);
            right.Start();
            await Bounded.Wait(right.WhenConnectedAsync(), "the right key to connect");
            Assert.Single(server.Sessions);
        }
    }

    [Fact]
    public async Task Over_tls_with_a_pinned_self_signed_certificate_the_tunnel_works()
    {
        using var certificate = TunnelCertificates.CreateSelfSigned("relay.test");
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions { Certificate = certificate });
        var pinned = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port, new TunnelTlsClientOptions
        {
            TargetHost = "relay.test",
            PinnedServerCertificate = TunnelCertificates.Fingerprint(certificate),
        });
        await using TunnelPair pair = await TunnelPair.StartAsync(listener, pinned, echo: true);

        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        scp.TrySend([1, 2, 3]);
        await Bounded.Until(() => scp.DatagramsReceived == 1, "the echo over TLS");
    }

    [Fact]
    public async Task Over_tls_a_wrong_pin_never_connects()
    {
        using var certificate = TunnelCertificates.CreateSelfSigned("relay.test");
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions { Certificate = certificate });
        var wrongPin = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port, new TunnelTlsClientOptions
        {
            TargetHost = "relay.test",
            PinnedServerCertificate = new string('0', 64),
        });
        await using TunnelPair pair = await TunnelPair.StartAsync(listener, wrongPin, waitConnected: false);

        await Bounded.Until(() => pair.Client.ConnectAttempts >= 2, "two refused attempts");
        Assert.Equal(TunnelCloseReason.ServerCertificateRejected, pair.Client.LastFailure);
        Assert.Empty(pair.Server.Sessions);
    }

    [Fact]
    public async Task A_verified_client_certificate_authenticates_without_a_key()
    {
        using var serverCertificate = TunnelCertificates.CreateSelfSigned("relay.test");
        using var clientCertificate = TunnelCertificates.CreateSelfSigned("user.test");
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions
        {
            Certificate = serverCertificate,
            AllowedClientCertificates = [TunnelCertificates.Fingerprint(clientCertificate)],
        });
        var connector = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port, new TunnelTlsClientOptions
        {
            TargetHost = "relay.test",
            PinnedServerCertificate = TunnelCertificates.Fingerprint(serverCertificate),
            ClientCertificate = clientCertificate,
        });
        var log = new TestLog();
        var serverOptions = new TunnelServerOptions { Key = null, AllowClientCertificates = true, Log = log };
        var clientOptions = new TunnelClientOptions { Key = null, Log = log };

        await using TunnelPair pair = await TunnelPair.StartAsync(listener, connector, serverOptions, clientOptions, log);
        Assert.Single(pair.Server.Sessions);
    }

    [Fact]
    public async Task A_peer_stalling_its_TLS_handshake_does_not_hold_up_other_clients()
    {
        using var certificate = TunnelCertificates.CreateSelfSigned("relay.test");
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions { Certificate = certificate })
        {
            TlsHandshakeTimeout = TimeSpan.FromMinutes(5),
        };
        using var staller = new System.Net.Sockets.TcpClient();
        await staller.ConnectAsync(IPAddress.Loopback, listener.LocalEndPoint.Port); // connects, never speaks TLS
        var connector = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port, new TunnelTlsClientOptions
        {
            TargetHost = "relay.test",
            PinnedServerCertificate = TunnelCertificates.Fingerprint(certificate),
        });

        await using TunnelPair pair = await TunnelPair.StartAsync(listener, connector); // waits (bounded) for the connection
        Assert.Single(pair.Server.Sessions);
    }

    /// <summary>A started server (no client) and a hand-driven peer connected to it.</summary>
    private static async Task<(TunnelPair Pair, RawPeer Peer)> ServerAndRawPeer(TunnelServerOptions? options = null, TestLog? log = null)
    {
        var transport = new InMemoryTunnelTransport();
        TunnelPair pair = await TunnelPair.StartAsync(transport, new InMemoryTunnelTransport(), serverOptions: options, log: log, waitConnected: false);
        return (pair, await RawPeer.ConnectAsync(transport));
    }
}
