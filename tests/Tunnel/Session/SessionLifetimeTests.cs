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
            await Bounded.Until(() => acceptor.Opened.Length == 1, "the channel on the server");
            acceptor.Opened[0].Channel.TrySend([0]); // its write carries the ACK of the OPEN, which the server's timers would never send
            await Bounded.Until(() => client.Session.UnacknowledgedBytes == 0, "the OPEN acknowledged");

            listener.Hangup();
            acceptor.Opened[0].Channel.TrySend([1]); // the server's write finds the client gone
            await Bounded.Wait(listener.Found, "the server to write to the gone client");
        }

        await Bounded.Until(
            () => server.Sessions.Count == 0 && acceptor.Opened[0].Handler.ClosedWith is not null, "the session to end", serverLog.ToString);
        Assert.Equal(TunnelErrorCode.SessionLost, acceptor.Opened[0].Handler.ClosedWith);
        Assert.True(serverLog.Contains("ended: the client shut down"), serverLog.ToString());
        Assert.Equal(1, server.AcceptedConnections); // the goodbye came on the connection found gone, not on a resume
    }

    [Fact]
    public async Task A_client_stopped_while_disconnected_reconnects_once_to_end_its_server_session()
    {
        var serverLog = new TestLog();
        var clientLog = new TestLog();
        var transport = new InMemoryTunnelTransport();
        var acceptor = new RecordingAcceptor();
        await using var server = new TunnelServer(TunnelPair.ServerOptions(serverLog), transport, acceptor); // the default linger, 120 s
        server.Start();

        // An hour before any reconnect: once the link drops, the client stays disconnected until it is stopped.
        var client = new TunnelClient(Patient(clientLog), transport);
        client.Start();
        await Bounded.Wait(client.WhenConnectedAsync(), "the connection");
        client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        await Bounded.Until(() => acceptor.Opened.Length == 1, "the channel on the server");
        TunnelSession onServer = server.Sessions.Single();

        client.Session.AbortConnection(); // the link drops: no ERROR Shutdown on it
        await Bounded.Until(() => !client.Session.IsConnected && !onServer.IsConnected, "both ends to see the drop");
        await Bounded.Wait(client.DisposeAsync().AsTask(), "the client to stop");

        // The stop came back once, resumed the session and said goodbye: the server ends it now, not after the linger.
        await Bounded.Until(
            () => server.Sessions.Count == 0 && acceptor.Opened[0].Handler.ClosedWith is not null, "the session to end", serverLog.ToString);
        Assert.Equal(TunnelErrorCode.SessionLost, acceptor.Opened[0].Handler.ClosedWith);
        Assert.True(serverLog.Contains($"{onServer} ended: the client shut down"), serverLog.ToString());
        Assert.True(serverLog.Contains($"{onServer}: resumed"), serverLog.ToString());
        Assert.Equal(2, server.AcceptedConnections);
        Assert.True(clientLog.Contains($"stopped while disconnected: reconnected to memory-server#2 to end {client.Session}, which it has ended"), clientLog.ToString());
    }

    [Fact]
    public async Task A_client_stopped_while_the_server_is_unreachable_gives_up_after_its_goodbye_timeout()
    {
        var serverLog = new TestLog();
        var clientLog = new TestLog();
        var transport = new InMemoryTunnelTransport();
        await using var server = new TunnelServer(TunnelPair.ServerOptions(serverLog), transport, new RecordingAcceptor());
        server.Start();
        var connector = new SwitchingConnector(transport);
        var client = new TunnelClient(Patient(clientLog, TimeSpan.FromMilliseconds(100)), connector);
        client.Start();
        await Bounded.Wait(client.WhenConnectedAsync(), "the connection");
        TunnelSession onServer = server.Sessions.Single();

        // The network goes: connecting hangs (a black hole) until the attempt is given up.
        connector.Target = new HangingConnector();
        client.Session.AbortConnection();
        await Bounded.Until(() => !client.Session.IsConnected && !onServer.IsConnected, "both ends to see the drop");
        await Bounded.Wait(client.DisposeAsync().AsTask(), "the client to stop, the goodbye given up");

        Assert.True(clientLog.Contains($"stopped while disconnected, and could not end {client.Session} on the server within 0.1 s (no answer): if the server still holds it"), clientLog.ToString());
        Assert.Same(onServer, server.Sessions.Single()); // it lingers, as before
        Assert.False(serverLog.Contains("ended: the client shut down"), serverLog.ToString());

        // Refused at once: the stop does not wait for the timeout either (the same line, with the reason).
        connector.Target = transport;
        var refused = new TunnelClient(Patient(clientLog), connector);
        refused.Start();
        await Bounded.Wait(refused.WhenConnectedAsync(), "the second client's connection");
        connector.Target = new RefusingConnector();
        refused.Session.AbortConnection();
        await Bounded.Until(() => !refused.Session.IsConnected, "the drop");
        await Bounded.Wait(refused.DisposeAsync().AsTask(), "the second client to stop");
        Assert.True(clientLog.Contains($"could not end {refused.Session} on the server within 2 s (connection refused)"), clientLog.ToString());
    }

    [Fact]
    public async Task A_client_stopped_after_the_server_stopped_does_not_try_to_end_the_session_the_server_dropped()
    {
        var clientLog = new TestLog();
        var transport = new InMemoryTunnelTransport();
        var client = new TunnelClient(Patient(clientLog), transport);
        await using (var server = new TunnelServer(TunnelPair.ServerOptions(new TestLog()), transport, new RecordingAcceptor()))
        {
            server.Start();
            client.Start();
            await Bounded.Wait(client.WhenConnectedAsync(), "the connection");
        }

        // The server's ERROR Shutdown said the session is gone: there is nothing to end, and no reason to wait for it.
        await Bounded.Until(() => clientLog.Contains("the server has ended the session"), "the client to hear the server stop", clientLog.ToString);
        await Bounded.Wait(client.DisposeAsync().AsTask(), "the client to stop");
        Assert.False(clientLog.Contains("stopped while disconnected"), clientLog.ToString());
    }

    /// <summary>Client options that wait an hour before reconnecting: after a drop the client stays disconnected.</summary>
    private static TunnelClientOptions Patient(TestLog log, TimeSpan? goodbye = null) => new()
    {
        Key = TunnelPair.Key,
        Log = log,
        StopGoodbyeTimeout = goodbye ?? new TunnelClientOptions().StopGoodbyeTimeout,
        ReconnectMinDelay = TimeSpan.FromHours(1),
        ReconnectMaxDelay = TimeSpan.FromHours(1),
    };

    /// <summary>A server behind a black hole: connecting never completes, until cancelled.</summary>
    private sealed class HangingConnector : ITunnelConnector
    {
        public async ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
