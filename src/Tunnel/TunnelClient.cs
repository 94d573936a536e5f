using System.IO.Pipelines;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Internal;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// The client end: keeps one <see cref="TunnelSession"/> connected to the server, reconnecting with exponential backoff
/// after any loss and resuming the same session, so reliable traffic arrives exactly once, in order, across reconnects.
/// Open channels on <see cref="Session"/> at any time, connected or not. With
/// <see cref="TunnelClientOptions.StopWhenRefused"/> it stops instead at a refusal that retrying cannot fix
/// (<see cref="Stopped"/>); it never ends the process itself.
/// </summary>
public sealed class TunnelClient : IAsyncDisposable
{
    private readonly TunnelClientOptions _options;
    private readonly ITunnelConnector _connector;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<TunnelRefusal?> _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TunnelRefusal? _refusal;
    private Task _loop = Task.CompletedTask;
    private long _attempts;
    private long _handshakes;
    private int _lastFailure;
    private int _saidGoodbye;
    private int _endedByServer;

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

    /// <summary>
    /// Completes when the client stops reconnecting: with the refusal that stopped it
    /// (<see cref="TunnelClientOptions.StopWhenRefused"/>; the client has logged nothing about it, so the owner can say
    /// what to check), or with null once it is disposed. Disposing is still needed after a refusal.
    /// </summary>
    public Task<TunnelRefusal?> Stopped => _stopped.Task;

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

    /// <summary>
    /// Stops reconnecting, closes the connection (ERROR Shutdown) and the session. Stopped while disconnected, it first
    /// makes one attempt of at most <see cref="TunnelClientOptions.StopGoodbyeTimeout"/> to resume the session only to
    /// send that ERROR Shutdown, so the server ends the session now rather than after its linger (unless the server said,
    /// with its own ERROR Shutdown, that it had dropped the session already).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        SayGoodbye(Session.Current);
        await _loop.ConfigureAwait(false);
        // Not after a refusal: the server would refuse the goodbye too.
        if (Volatile.Read(ref _saidGoodbye) == 0 && Volatile.Read(ref _endedByServer) == 0 && Volatile.Read(ref _refusal) is null)
        {
            await EndDetachedSessionAsync().ConfigureAwait(false);
        }

        Session.CloseFinal(TunnelErrorCode.Shutdown);
        _stopped.TrySetResult(null);
        _stop.Dispose();
    }

    /// <summary>Ends <paramref name="runner"/>'s connection with ERROR Shutdown (the server then ends the session); remembers that it did.</summary>
    private void SayGoodbye(TunnelConnectionRunner? runner)
    {
        if (runner?.Fail(TunnelCloseReason.LocalShutdown, TunnelErrorCode.Shutdown, "client shutting down") == true)
        {
            Volatile.Write(ref _saidGoodbye, 1);
        }
    }

    /// <summary>
    /// Stopped while disconnected: connects once more, resumes the session and sends ERROR Shutdown on it, then waits for
    /// the server to close the connection (it does once it has ended the session), all within
    /// <see cref="TunnelClientOptions.StopGoodbyeTimeout"/>. Whatever happens, it returns by then and logs one line.
    /// </summary>
    private async Task EndDetachedSessionAsync()
    {
        byte[] id = Session.Id.ToArray();
        TimeSpan limit = _options.StopGoodbyeTimeout;
        if (limit <= TimeSpan.Zero || id.AsSpan().IndexOfAnyExcept((byte)0) < 0)
        {
            return; // not asked to, or no session the server could hold
        }

        using var deadline = new CancellationTokenSource(limit, _options.TimeProvider);
        ITunnelConnection? connection = null;
        string? problem;
        try
        {
            (connection, HandshakeResult result) = await AttemptAsync(id, limit, deadline.Token).ConfigureAwait(false);
            if (connection is null)
            {
                problem = result.Detail; // connecting failed
            }
            else if (!result.Succeeded)
            {
                problem = deadline.IsCancellationRequested ? "no answer" : $"handshake failed: {result.Failure} ({result.Detail})";
            }
            else
            {
                await HandshakeIo.TrySendErrorAsync(connection.Transport.Output, TunnelErrorCode.Shutdown, "client shutting down", deadline.Token).ConfigureAwait(false);
                problem = await WaitForCloseAsync(connection.Transport.Input, deadline.Token).ConfigureAwait(false)
                    ? null : "the server did not close the connection";
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            problem = "no answer";
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException
            or System.Security.Authentication.AuthenticationException or InvalidOperationException or ObjectDisposedException)
        {
            problem = ex.Message;
        }
        finally
        {
            if (connection is not null)
            {
                connection.Abort();
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }

        string where = connection?.RemoteDescription ?? "the server";
        if (problem is null)
        {
            Log(TunnelLogLevel.Info, $"tunnel: stopped while disconnected: reconnected to {where} to end {Session}, which it has ended");
        }
        else
        {
            Log(TunnelLogLevel.Warning, $"tunnel: stopped while disconnected, and could not end {Session} on {where} within " +
                $"{limit.TotalSeconds:0.###} s ({problem}): if the server still holds it, it keeps it (channels, board sockets, IP tags) until its session linger runs out");
        }
    }

    /// <summary>Reads and drops what the server sends (retransmissions after the resume) until it closes the connection: true; false when it does not in time.</summary>
    private static async Task<bool> WaitForCloseAsync(PipeReader input, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                ReadResult read = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    return read.IsCompleted;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            return true; // reset by the server as it closed: it has read the ERROR before
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task RunAsync()
    {
        TimeSpan delay = _options.ReconnectMinDelay;
        while (!_stop.IsCancellationRequested)
        {
            TunnelConnectionRunner? runner = await ConnectOnceAsync().ConfigureAwait(false);
            if (runner is null && Volatile.Read(ref _refusal) is { } refusal)
            {
                _stopped.TrySetResult(refusal); // only set with StopWhenRefused
                return;
            }

            if (runner is not null)
            {
                delay = _options.ReconnectMinDelay;
                TunnelCloseReason reason = await runner.Completion.ConfigureAwait(false);
                Volatile.Write(ref _lastFailure, (int)reason);
                Volatile.Write(ref _endedByServer, reason == TunnelCloseReason.PeerShutdown ? 1 : 0); // the server stopped: the session is gone there
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
        byte[] requested = Session.Id.ToArray();
        bool resuming = requested.AsSpan().IndexOfAnyExcept((byte)0) >= 0;
        ITunnelConnection? connection;
        HandshakeResult result;
        try
        {
            (connection, result) = await AttemptAsync(requested, _options.HandshakeTimeout, _stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return null;
        }

        if (connection is null)
        {
            Fail(result.Failure, $"connect failed: {result.Detail}", result.Detail);
            return null;
        }

        if (!result.Succeeded || !Resume(result, resuming, connection.RemoteDescription))
        {
            if (!result.Succeeded)
            {
                Fail(result.Failure, $"{connection.RemoteDescription}: handshake failed: {result.Failure} ({result.Detail})", result.Detail);
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
            SayGoodbye(runner);
        }

        Interlocked.Increment(ref _handshakes);
        if (_options.Log.IsEnabled(TunnelLogLevel.Info))
        {
            _options.Log.Write(TunnelLogLevel.Info, $"tunnel: connected to {connection.RemoteDescription}, {Session} {(result.Resumed ? "resumed" : "new")}, server expects {result.PeerNextExpected}");
        }

        return runner;
    }

    /// <summary>
    /// One attempt, as a reconnect and a stop's goodbye both make it: connects, then runs the client handshake asking for
    /// <paramref name="requested"/> (zeros: a new session), the handshake within <paramref name="handshakeTimeout"/> too.
    /// Returns the connection (null when connecting failed; still open after a failed handshake, for the caller to abort)
    /// and the handshake's result, whose Failure and Detail say why connecting or the handshake failed.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while connecting.</exception>
    private async Task<(ITunnelConnection? Connection, HandshakeResult Result)> AttemptAsync(
        byte[] requested, TimeSpan handshakeTimeout, CancellationToken cancellationToken)
    {
        ITunnelConnection connection;
        try
        {
            connection = await _connector.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TunnelServerCertificateException ex)
        {
            return (null, HandshakeResult.Failed(TunnelCloseReason.ServerCertificateRejected, ex.Message));
        }
        catch (TunnelHttpProxyException ex)
        {
            return (null, HandshakeResult.Failed(ex.WantsCredentials ? TunnelCloseReason.ProxyAuthenticationFailed : TunnelCloseReason.ProxyRefused, ex.Message));
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException
            or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
        {
            return (null, HandshakeResult.Failed(TunnelCloseReason.TransportError, ex.Message));
        }

        using var timeout = new CancellationTokenSource(handshakeTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            return (connection, await ClientHandshake.RunAsync(connection, _options, requested, Session.InboundNext, linked.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (connection, HandshakeResult.Failed(TunnelCloseReason.HandshakeTimeout, "the server did not complete the handshake in time"));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            return (connection, HandshakeResult.Failed(TunnelCloseReason.TransportError, ex.Message));
        }
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

    /// <summary>
    /// Records and logs a failed attempt. A final refusal (<see cref="TunnelCloseReasons.IsFinalRefusal"/>) with
    /// <see cref="TunnelClientOptions.StopWhenRefused"/> is not logged but kept, with <paramref name="detail"/>, for
    /// <see cref="Stopped"/>.
    /// </summary>
    private void Fail(TunnelCloseReason reason, string message, string? detail = null)
    {
        Volatile.Write(ref _lastFailure, (int)reason);
        if (_options.StopWhenRefused && reason.IsFinalRefusal())
        {
            Volatile.Write(ref _refusal, new TunnelRefusal(reason, detail ?? message));
            return;
        }

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
