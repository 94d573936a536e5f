using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>
/// Sessions the server forgot (restart, expiry): the client is told plainly and starts afresh. A session whose connection
/// dropped lingers until it expires.
/// </summary>
public class SessionLifetimeTests
{
    [Fact]
    public async Task After_a_server_restart_the_client_loses_its_channels_plainly_and_starts_a_new_session()
    {
        var log = new TestLog();
        var first = new InMemoryTunnelTransport();
        var second = new InMemoryTunnelTransport();
        var connector = new SwitchingConnector(first);
        await using var client = new TunnelClient(TunnelPair.ClientOptions(log), connector);
        var handler = new RecordingHandler();
        byte[] oldId;
        await using (var server = new TunnelServer(TunnelPair.ServerOptions(log), first, new RecordingAcceptor()))
        {
            server.Start();
            client.Start();
            await Bounded.Wait(client.WhenConnectedAsync(), "the first connection");
            client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, handler);
            oldId = client.Session.Id.ToArray();
            connector.Target = second;
        }

        var acceptor = new RecordingAcceptor(echo: true);
        await using var restarted = new TunnelServer(TunnelPair.ServerOptions(log), second, acceptor);
        restarted.Start();

        await Bounded.Until(() => handler.ClosedWith == TunnelErrorCode.SessionLost && client.Session.IsConnected, "the new session");
        Assert.False(client.Session.Id.SequenceEqual(oldId));
        Assert.True(log.Contains("its channels are lost"), log.ToString());
        TunnelChannel fresh = client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        fresh.TrySend([7]);
        await Bounded.Until(() => fresh.DatagramsReceived == 1, "traffic on the new session");
    }

    [Fact]
    public async Task A_session_whose_connection_dropped_expires_after_the_linger()
    {
        var log = new TestLog();
        var transport = new InMemoryTunnelTransport();
        var connector = new SwitchingConnector(transport);
        var options = new TunnelServerOptions { Key = TunnelPair.Key, Log = log, SessionLinger = TimeSpan.FromMilliseconds(50) };
        await using var server = new TunnelServer(options, transport, new RecordingAcceptor());
        server.Start();
        await using var client = new TunnelClient(TunnelPair.ClientOptions(log), connector);
        client.Start();
        await Bounded.Wait(client.WhenConnectedAsync(), "the connection");

        // The link drops (no ERROR Shutdown) and the client cannot come back: the session lingers, then expires.
        connector.Target = new RefusingConnector();
        client.Session.AbortConnection();
        await Bounded.Until(() => server.Sessions.Count == 0 && log.Contains("expired"), "the session to expire, logged");
    }

    private sealed class SwitchingConnector(ITunnelConnector target) : ITunnelConnector
    {
        public ITunnelConnector Target { get; set; } = target;

        public ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken) => Target.ConnectAsync(cancellationToken);
    }

    /// <summary>A server that cannot be reached (the client's machine lost its network).</summary>
    private sealed class RefusingConnector : ITunnelConnector
    {
        public ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken) =>
            ValueTask.FromException<ITunnelConnection>(new IOException("connection refused"));
    }
}
