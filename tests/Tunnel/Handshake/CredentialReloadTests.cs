using System.Net;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.Handshake;

/// <summary>
/// <see cref="TunnelServer.UpdateCredentialsAsync"/> (a reload): a certificate taken off the list ends its client's
/// session at once, with a reason both ends log, while another certificate's session carries traffic on over the same
/// connection; a new key ends the sessions opened with the old one; credentials that let no one in change nothing.
/// </summary>
public sealed class CredentialReloadTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    [Fact]
    public async Task A_certificate_taken_off_the_list_loses_its_session_and_another_carries_on()
    {
        var log = new TestLog();
        string alice = TunnelCertificates.Fingerprint(_certificates.Alice);
        string mallory = TunnelCertificates.Fingerprint(_certificates.Mallory);
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions
        {
            Certificate = _certificates.Server,
            AllowedClientCertificates = [alice, mallory],
            ClientCertificateNames = new Dictionary<string, string> { [alice] = "alice", [mallory] = "mallory" },
        });
        var serverOptions = new TunnelServerOptions { Key = null, AllowClientCertificates = true, Log = log };
        await using TunnelPair pair = await TunnelPair.StartAsync(listener, Connector(_certificates.Alice, listener), serverOptions, TunnelPair.CertificateClientOptions(log), log, echo: true);
        await using var second = new TunnelClient(TunnelPair.CertificateClientOptions(log), Connector(_certificates.Mallory, listener), new RecordingAcceptor());
        second.Start();
        await Bounded.Wait(second.WhenConnectedAsync(), "Mallory's client to connect");
        var alices = new RecordingHandler();
        TunnelChannel aliceChannel = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, new TunnelTarget(IPAddress.Loopback, 17893), alices);
        TunnelChannel malloryChannel = second.Session.OpenChannel(TunnelChannelKind.Scp, new TunnelTarget(IPAddress.Loopback, 17893), new RecordingHandler());
        Assert.Equal(TunnelSendStatus.Sent, aliceChannel.TrySend([1]));
        Assert.Equal(TunnelSendStatus.Sent, malloryChannel.TrySend([2]));
        await Bounded.Until(() => alices.Count == 1 && pair.ServerAcceptor.Opened.Length == 2, "both channels open and Alice's echo");
        TunnelSession malloryOnServer = pair.Server.Sessions.Single(s => s.Id.SequenceEqual(second.Session.Id.ToArray()));
        RecordingHandler mallorysBoardSide = pair.ServerAcceptor.Opened.Single(o => o.Channel.Session == malloryOnServer).Handler;

        TunnelRevokedSessions ended = await Bounded.Wait(pair.Server.UpdateCredentialsAsync(new TunnelServerCredentials
        {
            AllowClientCertificates = true,
            ClientCertificates = new HashSet<string> { alice },
        }), "the update");

        Assert.Equal(1, ended.OfCertificate(mallory));
        Assert.Equal(0, ended.OfCertificate(alice));
        Assert.Equal(0, ended.KeySessions);
        // At once: the session is gone and its channel (what it held towards the board) closed before the update returns.
        Assert.DoesNotContain(malloryOnServer, pair.Server.Sessions);
        Assert.Equal(TunnelErrorCode.SessionLost, mallorysBoardSide.ClosedWith);
        Assert.True(log.Contains($"{malloryOnServer} ended: client certificate {mallory[..16]} was removed from the server's list; client: certificate {mallory[..16]} (mallory)"), log.ToString());
        await Bounded.Until(() => log.Lines.Any(l => l.Contains($"{second.Session}: connection closed: Revoked", StringComparison.Ordinal)
            && l.Contains("was removed from the server's list", StringComparison.Ordinal)), "Mallory's client to log why", log.ToString);
        // It keeps trying, and is refused by the server's new list (the listener's still has it).
        await Bounded.Until(() => log.Contains($"client certificate {mallory} is not on the server's list"), "Mallory refused", log.ToString);

        // Alice's session and connection are untouched: traffic goes on over them.
        Assert.True(pair.Client.Session.IsConnected);
        Assert.Equal(TunnelSendStatus.Sent, aliceChannel.TrySend([3]));
        await Bounded.Until(() => alices.Count == 2, "Alice's echo after the update");
        Assert.Equal(2, pair.Server.AcceptedConnections);
        Assert.Null(pair.ServerAcceptor.Opened.Single(o => o.Channel.Session != malloryOnServer).Handler.ClosedWith);
    }

    [Fact]
    public async Task A_new_key_ends_the_sessions_opened_with_the_old_one_and_the_same_key_ends_none()
    {
        var log = new TestLog();
        await using TunnelPair pair = await TunnelPair.StartAsync(log: log, echo: true);
        TunnelSession before = pair.ServerSession;

        TunnelRevokedSessions same = await pair.Server.UpdateCredentialsAsync(new TunnelServerCredentials { Key = TunnelKey.FromBytes(TunnelPair.Key.Bytes) });
        Assert.Equal(0, same.Total);
        Assert.Same(before, pair.ServerSession);

        pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 1, "the channel to open");
        TunnelRevokedSessions rotated = await pair.Server.UpdateCredentialsAsync(new TunnelServerCredentials { Key = TunnelKey.Generate() });

        Assert.Equal(1, rotated.KeySessions);
        Assert.Empty(pair.Server.Sessions);
        Assert.Equal(TunnelErrorCode.SessionLost, pair.ServerAcceptor.Opened[0].Handler.ClosedWith);
        Assert.True(log.Contains($"{before} ended: the server's pre-shared key changed; client: pre-shared key"), log.ToString());
        await Bounded.Until(() => log.Contains("connection closed: Revoked (peer sent ERROR AuthenticationFailed: \"the server's pre-shared key changed\")"),
            "the client to log why", log.ToString);
        await Bounded.Until(() => pair.Client.LastFailure == TunnelCloseReason.AuthenticationFailed, "the old key refused", log.ToString);
        Assert.Empty(pair.Server.Sessions);
    }

    [Fact]
    public async Task A_lingering_session_of_the_old_key_ends_too()
    {
        var log = new TestLog();
        var transport = new InMemoryTunnelTransport();
        var connector = new SwitchingConnector(transport);
        var acceptor = new RecordingAcceptor();
        await using var server = new TunnelServer(TunnelPair.ServerOptions(log), transport, acceptor); // the default linger, 120 s
        server.Start();
        await using var client = new TunnelClient(TunnelPair.ClientOptions(log), connector);
        client.Start();
        await Bounded.Wait(client.WhenConnectedAsync(), "the connection");
        client.Session.OpenChannel(TunnelChannelKind.Boot, TunnelTarget.Default, new RecordingHandler());
        await Bounded.Until(() => acceptor.Opened.Length == 1, "the channel to open");

        // The link drops and the client cannot come back: the session lingers, holding its channel.
        connector.Target = new RefusingConnector();
        client.Session.AbortConnection();
        TunnelSession lingering = server.Sessions.Single();
        await Bounded.Until(() => !lingering.IsConnected, "the server to see the drop");
        TunnelRevokedSessions ended = await server.UpdateCredentialsAsync(new TunnelServerCredentials { Key = TunnelKey.Generate() });

        Assert.Equal(1, ended.KeySessions);
        Assert.Empty(server.Sessions);
        Assert.Equal(TunnelErrorCode.SessionLost, acceptor.Opened[0].Handler.ClosedWith);
        Assert.True(log.Contains($"{lingering} (lingering) ended: the server's pre-shared key changed; client: pre-shared key"), log.ToString());
    }

    [Fact]
    public async Task Credentials_that_let_no_one_in_end_every_session_and_refuse_every_handshake()
    {
        // An admin who deletes the last line of a certificate-only server's allow file revokes that user: the reload must
        // not be refused for leaving nobody in.
        var log = new TestLog();
        await using TunnelPair pair = await TunnelPair.StartAsync(log: log);
        TunnelSession before = pair.ServerSession;
        long accepted = pair.Server.AcceptedConnections;

        TunnelRevokedSessions ended = await Bounded.Wait(pair.Server.UpdateCredentialsAsync(new TunnelServerCredentials()), "the update");

        Assert.Equal(1, ended.KeySessions);
        Assert.Empty(pair.Server.Sessions);
        Assert.Null(pair.Server.Credentials.Key);
        Assert.False(pair.Server.Credentials.AllowClientCertificates);
        Assert.True(log.Contains($"{before} ended: the server's pre-shared key changed; client: pre-shared key"), log.ToString());
        // The client keeps trying, and every handshake is refused.
        await Bounded.Until(() => pair.Client.LastFailure.IsFinalRefusal() && pair.Server.RejectedConnections > 0, "the client refused", log.ToString);
        await Bounded.Until(() => log.Contains("no client is let in here now: the server has no pre-shared key and lists no client certificate"),
            "the refusal to say why", log.ToString);
        Assert.Equal(accepted, pair.Server.AcceptedConnections);
        Assert.Empty(pair.Server.Sessions);
    }

    public void Dispose() => _certificates.Dispose();

    private TcpTunnelConnector Connector(X509Certificate2 certificate, TcpTunnelListener listener) =>
        new("127.0.0.1", listener.LocalEndPoint.Port, _certificates.ClientTls(certificate));
}
