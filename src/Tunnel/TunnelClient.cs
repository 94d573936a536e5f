using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Internal;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// The client end: keeps one <see cref="TunnelSession"/> connected to the server, reconnecting with exponential backoff
/// after any loss and resuming the same session, so reliable traffic arrives exactly once, in order, across reconnects.
/// Open channels on <see cref="Session"/> at any time, connected or not.
/// </summary>
public sealed class TunnelClient : IAsyncDisposable
{
    private readonly TunnelClientOptions _options;
    private readonly ITunnelConnector _connector;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private long _attempts;
    private long _handshakes;
    private int _lastFailure;

    /// <exception cref="ArgumentException">The options are invalid (every problem is listed).</exception>
    public TunnelClient(TunnelClientOptions options, ITunnelConnector connector, ITunnelChannelAcceptor? acceptor = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(connector);
        options.ThrowIfInvalid();
        _options = options;
        _connector = connector;
        Session = new TunnelSession(options, isClient: true, acceptor);
    }

    /// <summary>The session this client keeps alive.</summary>
    public TunnelSession Session { get; }

    /// <summary>Connection attempts so far.</summary>
    public long ConnectAttempts => Interlocked.Read(ref _attempts);

    /// <summary>Handshakes completed so far (1 + the number of resumes).</summary>
    public long Handshakes => Interlocked.Read(ref _handshakes);

    /// <summary>Why the last attempt or connection failed (None before any failure).</summary>
    public TunnelCloseReason LastFailure => (TunnelCloseReason)Volatile.Read(ref _lastFailure);

    /// <summary>Starts connecting (in the background).</summary>
    public void Start() => _loop = RunAsync();

    /// <summary>Completes when the session is carried by a connection (at once if it is now).</summary>
    public Task WhenConnectedAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Session.IsConnected ? Task.CompletedTask : _connected.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Stops reconnecting, closes the connection (ERROR Shutdown) and the session.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        Session.Current?.Fail(TunnelCloseReason.LocalShutdown, TunnelErrorCode.Shutdown, "client shutting down");
        await _loop.ConfigureAwait(false);
        Session.CloseFinal(TunnelErrorCode.Shutdown);
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        TimeSpan delay = _options.ReconnectMinDelay;
        while (!_stop.IsCancellationRequested)
        {
            TunnelConnectionRunner? runner = await ConnectOnceAsync().ConfigureAwait(false);
            if (runner is not null)
            {
                delay = _options.ReconnectMinDelay;
                TunnelCloseReason reason = await runner.Completion.ConfigureAwait(false);
                Volatile.Write(ref _lastFailure, (int)reason);
                lock (_gate)
                {
                    if (_connected.Task.IsCompleted)
                    {
                        _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }
            }

            if (_stop.IsCancellationRequested)
            {
                return;
            }

            try
            {
                // ±20 % jitter so clients cut off together do not reconnect together.
                TimeSpan wait = delay * (0.8 + (0.4 * Random.Shared.NextDouble()));
                await Task.Delay(wait, _options.TimeProvider, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReconnectMaxDelay.Ticks));
        }
    }

    /// <summary>Connects, authenticates and attaches the session; null (logged) when any step fails.</summary>
    private async Task<TunnelConnectionRunner?> ConnectOnceAsync()
    {
        Interlocked.Increment(ref _attempts);
        ITunnelConnection connection;
        try
        {
            connection = await _connector.ConnectAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException
            or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
        {
            Fail(TunnelCloseReason.TransportError, $"connect failed: {ex.Message}");
            return null;
        }

        byte[] requested = Session.Id.ToArray();
        bool resuming = requested.AsSpan().IndexOfAnyExcept((byte)0) >= 0;
        HandshakeResult result;
        using (var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token))
        {
            try
            {
                result = await ClientHandshake.RunAsync(connection, _options, requested, Session.InboundNext, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                result = HandshakeResult.Failed(TunnelCloseReason.HandshakeTimeout, "the server did not complete the handshake in time");
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
            {
                result = HandshakeResult.Failed(TunnelCloseReason.TransportError, ex.Message);
            }
        }

        if (!result.Succeeded || !Resume(result, resuming, connection.RemoteDescription))
        {
            if (!result.Succeeded)
            {
                Fail(result.Failure, $"{connection.RemoteDescription}: handshake failed: {result.Failure} ({result.Detail})");
            }

            connection.Abort();
            await connection.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        var runner = new TunnelConnectionRunner(Session, connection);
        lock (_gate)
        {
            Session.Attach(runner);
            _connected.TrySetResult();
        }

        runner.Start();
        if (_stop.IsCancellationRequested)
        {
            // DisposeAsync may have looked for a connection to close just before this one was attached.
            runner.Fail(TunnelCloseReason.LocalShutdown, TunnelErrorCode.Shutdown, "client shutting down");
        }

        Interlocked.Increment(ref _handshakes);
        if (_options.Log.IsEnabled(TunnelLogLevel.Info))
        {
            _options.Log.Write(TunnelLogLevel.Info, $"tunnel: connected to {connection.RemoteDescription}, {Session} {(result.Resumed ? "resumed" : "new")}, server expects {result.PeerNextExpected}");
        }

        return runner;
    }

    private bool Resume(HandshakeResult result, bool resuming, string remote)
    {
        if (resuming && !result.Resumed)
        {
            Log(TunnelLogLevel.Warning, $"tunnel: {remote} did not know {Session}: its channels are lost, starting a new session");
            Session.ResetLost();
        }

        Session.SetId(result.SessionId);
        if (Session.TryResume(result.PeerNextExpected, result.LocalFeatures, result.PeerFeatures))
        {
            return true;
        }

        Fail(TunnelCloseReason.BadAcknowledgement, $"{remote}: the server expects {result.PeerNextExpected}, beyond what was sent; starting a new session");
        Session.ResetLost();
        return false;
    }

    private void Fail(TunnelCloseReason reason, string message)
    {
        Volatile.Write(ref _lastFailure, (int)reason);
        Log(reason == TunnelCloseReason.TransportError ? TunnelLogLevel.Info : TunnelLogLevel.Warning, "tunnel: " + message);
    }

    private void Log(TunnelLogLevel level, string message)
    {
        if (_options.Log.IsEnabled(level))
        {
            _options.Log.Write(level, message);
        }
    }
}
