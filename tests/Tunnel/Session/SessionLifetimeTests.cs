using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>
/// Sessions the server forgot (restart, expiry): the client is told plainly and starts afresh. A session whose connection
/// dropped lingers; one whose client shut down ends at once.
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

        // The client heard the server's ERROR Shutdown: it says the session ended there (not that it stays resumable),
        // and reconnected all the same, as it does after any loss.
        Assert.Contains(log.Lines, l => l.StartsWith("Warning: memory-server#1 ", StringComparison.Ordinal)
            && l.EndsWith("connection closed: PeerShutdown (peer sent ERROR Shutdown: \"server shutting down\"); the server has ended the session", StringComparison.Ordinal));
        Assert.False(log.Contains("resumable"), log.ToString());
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
        Assert.False(log.Contains("ended: the client shut down"), log.ToString());
    }

    [Fact]
    public async Task A_client_that_shuts_down_ends_its_server_session_at_once()
    {
        var serverLog = new TestLog();
        var transport = new InMemoryTunnelTransport();
        var acceptor = new RecordingAcceptor();
        await using var server = new TunnelServer(TunnelPair.ServerOptions(serverLog), transport, acceptor); // the default linger, 120 s
        server.Start();
        string session;
        await using (var client = new TunnelClient(TunnelPair.ClientOptions(new TestLog()), transport))
        {
            client.Start();
            await Bounded.Wait(client.WhenConnectedAsync(), "the connection");
            client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
            client.Session.OpenChannel(TunnelChannelKind.Boot, TunnelTarget.Default, new RecordingHandler());
            await Bounded.Until(() => acceptor.Opened.Length == 2, "both channels on the server");
            session = server.Sessions.Single().ToString();
        }

        // Stopping the client sent ERROR Shutdown: the server ends the session now, not after the linger.
        await Bounded.Until(
            () => server.Sessions.Count == 0 && acceptor.Opened.All(o => o.Handler.ClosedWith is not null), "the session to end", serverLog.ToString);
        Assert.All(acceptor.Opened, o => Assert.Equal(TunnelErrorCode.SessionLost, o.Handler.ClosedWith));
        Assert.All(acceptor.Opened, o => Assert.False(o.Channel.IsOpen));

        // One Info line for the end, naming the peer and the session; no warning, no "resumable".
        string remote = transport.LastServerEnd!.RemoteDescription;
        Assert.Equal(
            [$"Info: tunnel: {remote} {session}: new session, peer expects 0; client: pre-shared key", $"Info: tunnel: {remote} {session} ended: the client shut down"],
            serverLog.Lines.Where(l => l.Contains(session, StringComparison.Ordinal)));
        Assert.DoesNotContain(serverLog.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_that_shuts_down_ends_its_session_even_when_the_server_found_it_gone_while_writing()
    {
        // The server's writes find the client gone before its receive loop has read the client's ERROR Shutdown (as when
        // the client closes its socket right after sending it while the server is sending). Its timers never fire, so
        // the grace the receive loop gets to read what the client sent last never runs out in this test.
        var serverLog = new TestLog();
        var transport = new InMemoryTunnelTransport();
        var listener = new PeerGoneListener(transport);
        var acceptor = new RecordingAcceptor();
        var options = new TunnelServerOptions { Key = TunnelPair.Key, Log = serverLog, TimeProvider = new StoppedTimersTimeProvider() };
        await using var server = new TunnelServer(options, listener, acceptor);
        server.Start();
        await using (var client = new TunnelClient(TunnelPair.ClientOptions(new TestLog()), transport))
        {
            client.Start();
            await Bounded.Wait(client.WhenConnectedAsync(), "the connection");
            TunnelChannel scp = client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
            await Bounded.Until(() => acceptor.Opened.Length == 1 && client.Session.UnacknowledgedBytes == 0, "the channel, acknowledged");

            listener.Hangup();
            scp.TrySend([1]); // the server acknowledges it: that write finds the client gone
            await Bounded.Wait(listener.Found, "the server to write to the gone client");
        }

        await Bounded.Until(
            () => server.Sessions.Count == 0 && acceptor.Opened[0].Handler.ClosedWith is not null, "the session to end", serverLog.ToString);
        Assert.Equal(TunnelErrorCode.SessionLost, acceptor.Opened[0].Handler.ClosedWith);
        Assert.True(serverLog.Contains("ended: the client shut down"), serverLog.ToString());
        Assert.Equal(1, server.AcceptedConnections); // the goodbye came on the connection found gone, not on a resume
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
