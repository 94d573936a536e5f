using System.Buffers.Binary;
using System.Security.Cryptography;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Internal;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// The server end: accepts connections, authenticates them (bounded by <see cref="TunnelOptions.HandshakeTimeout"/>),
/// and attaches each to a new or resumed <see cref="TunnelSession"/>. Channels the clients open are offered to the
/// acceptor, which decides what may reach a board. Sessions without a connection are kept for
/// <see cref="TunnelServerOptions.SessionLinger"/>, except that of a client that said it is shutting down (ERROR
/// Shutdown), which ends at once. <see cref="UpdateCredentialsAsync"/> replaces the key and the client certificates it
/// lets in while it runs, ending the sessions of the clients it no longer lets in.
/// </summary>
public sealed class TunnelServer : IAsyncDisposable
{
    private readonly TunnelServerOptions _options;
    private readonly ITunnelListener _listener;
    private readonly ITunnelChannelAcceptor _acceptor;
    private readonly Dictionary<UInt128, ServerSession> _sessions = [];
    private readonly HashSet<Task> _handlers = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _acceptLoop = Task.CompletedTask;
    private Task _sweepLoop = Task.CompletedTask;
    private long _rejected;

    /// <summary>Checked by each new handshake; replaced whole under the sessions lock (<see cref="UpdateCredentialsAsync"/>).</summary>
    private volatile TunnelServerCredentials _credentials;

    /// <summary>Refusal warnings written per 10 s at most.</summary>
    internal const int RefusalLogBurst = 5;

    private readonly LogRateLimit _refusals = new(RefusalLogBurst, TimeSpan.FromSeconds(10));
    private long _accepted;

    /// <exception cref="ArgumentException">The options are invalid (every problem is listed).</exception>
    public TunnelServer(TunnelServerOptions options, ITunnelListener listener, ITunnelChannelAcceptor acceptor)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(listener);
        ArgumentNullException.ThrowIfNull(acceptor);
        options.ThrowIfInvalid();
        _options = options;
        _listener = listener;
        _acceptor = acceptor;
        _credentials = TunnelServerCredentials.From(options);
    }

    /// <summary>The key and client certificates new handshakes are checked against.</summary>
    public TunnelServerCredentials Credentials => _credentials;

    /// <summary>
    /// Connections refused: a failed accept or handshake (wrong key, a client certificate not allowed, version, timeout,
    /// garbage), or the session limit.
    /// </summary>
    public long RejectedConnections => Interlocked.Read(ref _rejected);

    /// <summary>Connections that completed the handshake.</summary>
    public long AcceptedConnections => Interlocked.Read(ref _accepted);

    /// <summary>The sessions held now (attached or lingering).</summary>
    public IReadOnlyList<TunnelSession> Sessions
    {
        get
        {
            lock (_sessions)
            {
                return [.. _sessions.Values.Select(s => s.Session)];
            }
        }
    }

    /// <summary>Starts accepting.</summary>
    public void Start()
    {
        _acceptLoop = AcceptLoopAsync();
        _sweepLoop = SweepLoopAsync();
        // Debug: an application says where it listens in its own words (relay tunnel serve adds the board and the allow list).
        Log(TunnelLogLevel.Debug, $"tunnel server listening on {_listener.LocalDescription}");
    }

    /// <summary>Stops accepting, closes every connection (ERROR Shutdown) and every session.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _acceptLoop.ConfigureAwait(false);
        await _sweepLoop.ConfigureAwait(false);
        ServerSession[] sessions;
        lock (_sessions)
        {
            sessions = [.. _sessions.Values];
            _sessions.Clear();
        }

        foreach (ServerSession entry in sessions)
        {
            entry.Session.Current?.Fail(TunnelCloseReason.LocalShutdown, TunnelErrorCode.Shutdown, "server shutting down");
        }

        Task[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }

        await Task.WhenAll(handlers).ConfigureAwait(false);
        foreach (ServerSession entry in sessions)
        {
            entry.Session.CloseFinal(TunnelErrorCode.Shutdown);
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            ITunnelConnection connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
            {
                // One peer's failure (a TLS handshake, a reset during accept): note it and keep accepting.
                Interlocked.Increment(ref _rejected);
                LogRefusal($"tunnel accept failed: {ex.Message}");
                continue;
            }

            Track(HandleConnectionAsync(connection));
        }
    }

    private void Track(Task handler)
    {
        lock (_handlers)
        {
            _handlers.Add(handler);
        }

        handler.ContinueWith(
            static (done, state) =>
            {
                var set = (HashSet<Task>)state!;
                lock (set)
                {
                    set.Remove(done);
                }
            },
            _handlers, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task HandleConnectionAsync(ITunnelConnection connection)
    {
        HandshakeResult result;
        using (var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _options.TimeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token))
        {
            try
            {
                result = await ServerHandshake.RunAsync(connection, _options, _credentials, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                result = HandshakeResult.Failed(TunnelCloseReason.HandshakeTimeout, $"no complete handshake within {_options.HandshakeTimeout.TotalSeconds:0.#} s");
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
            {
                result = HandshakeResult.Failed(TunnelCloseReason.TransportError, ex.Message);
            }
        }

        if (!result.Succeeded)
        {
            Interlocked.Increment(ref _rejected);
            LogRefusal($"tunnel: rejected {connection.RemoteDescription}: {result.Failure} ({result.Detail})");
            connection.Abort();
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        (TunnelConnectionRunner Runner, ServerSession Entry)? attached = await AttachAsync(connection, result).ConfigureAwait(false);
        if (attached is not { } carried)
        {
            connection.Abort();
            await connection.DisposeAsync().ConfigureAwait(false);
            return;
        }

        if (await carried.Runner.Completion.ConfigureAwait(false) == TunnelCloseReason.PeerShutdown)
        {
            EndSessionOfStoppedClient(carried.Entry, carried.Runner.Remote);
        }
    }

    /// <summary>Finds or creates the session, replaces a stale connection, resumes, writes WELCOME and starts the loops.</summary>
    private async Task<(TunnelConnectionRunner Runner, ServerSession Entry)?> AttachAsync(ITunnelConnection connection, HandshakeResult result)
    {
        UInt128 requested = BinaryPrimitives.ReadUInt128BigEndian(result.SessionId);
        ServerSession? entry;
        bool resumed;
        bool someoneElses;
        string? revoked;
        lock (_sessions)
        {
            // A reload since the handshake may have revoked this client: check it against what is in force now, under the
            // lock the reload swaps them under, so a client it revoked is either refused here or ended by it.
            revoked = _credentials.StillAllows(result.ClientFingerprint, result.Credentials!) ? null : RevocationText(result.ClientFingerprint);
            // Only the identity that opened a session resumes it: a client with another certificate (or with the key,
            // for a certificate's session) that presents its id gets a session of its own, and the owner's is untouched.
            _sessions.TryGetValue(requested, out entry);
            resumed = requested != 0 && entry is not null && entry.ClientFingerprint == result.ClientFingerprint;
            someoneElses = requested != 0 && entry is not null && !resumed;
            if (revoked is not null)
            {
                entry = null;
            }
            else if (!resumed)
            {
                entry = _sessions.Count < _options.MaxSessions ? NewSessionLocked(result.ClientFingerprint, result.ClientIdentity) : null;
            }

            if (entry is not null)
            {
                entry.Pending++;
            }
        }

        if (revoked is not null)
        {
            Interlocked.Increment(ref _rejected);
            await HandshakeIo.TrySendErrorAsync(connection.Transport.Output, RevocationCode(result.ClientFingerprint), revoked, _stop.Token).ConfigureAwait(false);
            LogRefusal($"tunnel: rejected {connection.RemoteDescription}: {revoked} (reloaded during its handshake); client: {result.ClientIdentity}");
            return null;
        }

        if (entry is null)
        {
            Interlocked.Increment(ref _rejected);
            await HandshakeIo.TrySendErrorAsync(connection.Transport.Output, TunnelErrorCode.SessionLimit, "server holds its maximum of sessions", _stop.Token).ConfigureAwait(false);
            LogRefusal($"tunnel: rejected {connection.RemoteDescription}: SessionLimit ({_options.MaxSessions} sessions)");
            return null;
        }

        await entry.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            TunnelSession session = entry.Session;
            if (entry.Revoked)
            {
                // A reload ended this session while this connection waited to resume it.
                string text = RevocationText(entry.ClientFingerprint);
                await HandshakeIo.TrySendErrorAsync(connection.Transport.Output, RevocationCode(entry.ClientFingerprint), text, _stop.Token).ConfigureAwait(false);
                Log(TunnelLogLevel.Warning, $"tunnel: {connection.RemoteDescription} {session}: not resumed: {text}; client: {result.ClientIdentity}");
                return null;
            }

            if (session.Current is { } old)
            {
                old.Fail(TunnelCloseReason.Replaced, TunnelErrorCode.Replaced, $"session resumed by {connection.RemoteDescription}");
                await old.Completion.ConfigureAwait(false);
            }

            ulong peerNext = resumed ? result.PeerNextExpected : 0;
            if (!session.TryResume(peerNext, result.LocalFeatures, result.PeerFeatures))
            {
                await HandshakeIo.TrySendErrorAsync(connection.Transport.Output, TunnelErrorCode.BadAcknowledgement, "resume point beyond what was sent", _stop.Token).ConfigureAwait(false);
                Log(TunnelLogLevel.Warning, $"tunnel: {connection.RemoteDescription} {session}: resume at {peerNext} is beyond what was sent; session dropped");
                DropSession(entry);
                return null;
            }

            var welcome = new byte[TunnelWelcome.Length];
            TunnelFrameWriter.TryWriteWelcome(welcome, session.Id, session.InboundNext, resumed, out _);
            await connection.Transport.Output.WriteAsync(welcome, _stop.Token).ConfigureAwait(false);

            var runner = new TunnelConnectionRunner(session, connection);
            session.Attach(runner);
            runner.Start();
            if (_stop.IsCancellationRequested)
            {
                // DisposeAsync may have closed the sessions' connections just before this one was attached.
                runner.Fail(TunnelCloseReason.LocalShutdown, TunnelErrorCode.Shutdown, "server shutting down");
            }

            Interlocked.Increment(ref _accepted);
            if (someoneElses)
            {
                Log(TunnelLogLevel.Warning, $"tunnel: {connection.RemoteDescription} asked to resume a session another client opened; given {session} instead; client: {result.ClientIdentity}");
            }

            Log(TunnelLogLevel.Info, $"tunnel: {connection.RemoteDescription} {session}: {(resumed ? "resumed" : "new session")}, peer expects {peerNext}; client: {result.ClientIdentity}");
            return (runner, entry);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            Log(TunnelLogLevel.Info, $"tunnel: {connection.RemoteDescription}: lost before WELCOME: {ex.Message}");
            return null;
        }
        finally
        {
            entry.Gate.Release();
            lock (_sessions)
            {
                entry.Pending--;
            }
        }
    }

    private ServerSession NewSessionLocked(string? clientFingerprint, string? clientIdentity)
    {
        var session = new TunnelSession(_options, isClient: false, _acceptor);
        Span<byte> id = stackalloc byte[TunnelAuth.SessionIdLength];
        UInt128 key;
        do
        {
            RandomNumberGenerator.Fill(id);
            key = BinaryPrimitives.ReadUInt128BigEndian(id);
        }
        while (key == 0 || _sessions.ContainsKey(key));

        session.SetId(id);
        var entry = new ServerSession(session, key) { ClientFingerprint = clientFingerprint, ClientIdentity = clientIdentity ?? "pre-shared key" };
        _sessions.Add(key, entry);
        return entry;
    }

    /// <summary>
    /// Puts <paramref name="credentials"/> in force for every handshake from now on, and ends at once each session (live
    /// or lingering) of a client they no longer let in: one whose certificate they no longer list, or that proved a key
    /// they no longer hold. Its connection is closed with ERROR (<see cref="TunnelErrorCode.AuthMethodNotAllowed"/> for a
    /// certificate, <see cref="TunnelErrorCode.AuthenticationFailed"/> for the key) whose text the client logs, and its
    /// channels are closed with <see cref="TunnelErrorCode.SessionLost"/>, which releases what they held towards the
    /// boards. Other sessions are untouched. Returns the sessions ended, by identity. Credentials that let no one in (no
    /// key, no certificate: an admin revoked the last user) are taken too: every session ends and every handshake is
    /// refused until a reload lets someone in again. A server cannot start so (<see cref="TunnelServerOptions.Validate"/>),
    /// but a revocation must never be refused for being the last one.
    /// </summary>
    public async Task<TunnelRevokedSessions> UpdateCredentialsAsync(TunnelServerCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var ended = new List<ServerSession>();
        lock (_sessions)
        {
            TunnelServerCredentials before = _credentials;
            _credentials = credentials;
            foreach (ServerSession entry in _sessions.Values)
            {
                // Every session held was let in by the credentials in force before (a reload ends the rest).
                if (!credentials.StillAllows(entry.ClientFingerprint, before))
                {
                    entry.Revoked = true;
                    ended.Add(entry);
                }
            }

            foreach (ServerSession entry in ended)
            {
                _sessions.Remove(entry.Key);
            }
        }

        int keySessions = 0;
        var certificateSessions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ServerSession entry in ended)
        {
            await EndRevokedAsync(entry).ConfigureAwait(false);
            if (entry.ClientFingerprint is { } fingerprint)
            {
                certificateSessions[fingerprint] = certificateSessions.GetValueOrDefault(fingerprint) + 1;
            }
            else
            {
                keySessions++;
            }
        }

        return new TunnelRevokedSessions(keySessions, certificateSessions);
    }

    /// <summary>
    /// Ends a session a reload revoked: its connection first (ERROR, awaited, so no handler runs any more), then the session
    /// with its channels. Under its attach gate, so a resume in progress either finishes first and is closed here, or
    /// finds it revoked.
    /// </summary>
    private async Task EndRevokedAsync(ServerSession entry)
    {
        await entry.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            string text = RevocationText(entry.ClientFingerprint);
            string where = entry.Session.Current is { } current ? $"{current.Remote} {entry.Session}" : $"{entry.Session} (lingering)";
            Log(TunnelLogLevel.Warning, $"tunnel: {where} ended: {text}; client: {entry.ClientIdentity}");
            if (entry.Session.Current is { } connection)
            {
                connection.Fail(TunnelCloseReason.Revoked, RevocationCode(entry.ClientFingerprint), text);
                await connection.Completion.ConfigureAwait(false);
            }

            entry.Session.CloseFinal(TunnelErrorCode.SessionLost);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>What a revoked client is told (ERROR text, at most 120 ASCII characters) and the log says.</summary>
    private static string RevocationText(string? clientFingerprint) => clientFingerprint is null
        ? "the server's pre-shared key changed"
        : $"client certificate {clientFingerprint[..Math.Min(TunnelPeerCertificate.ShortLength, clientFingerprint.Length)]} was removed from the server's list";

    private static TunnelErrorCode RevocationCode(string? clientFingerprint) =>
        clientFingerprint is null ? TunnelErrorCode.AuthenticationFailed : TunnelErrorCode.AuthMethodNotAllowed;

    private void DropSession(ServerSession entry)
    {
        lock (_sessions)
        {
            _sessions.Remove(entry.Key);
        }

        entry.Session.CloseFinal(TunnelErrorCode.SessionLost);
    }

    /// <summary>
    /// The client said it is shutting down (ERROR Shutdown): its session ends now, as an expired one does (channels
    /// closed with <see cref="TunnelErrorCode.SessionLost"/>), instead of holding a slot, channels and board sockets for
    /// the linger. Unless it is no longer this server's to end: resumed meanwhile, expired already, or the server stopping.
    /// </summary>
    private void EndSessionOfStoppedClient(ServerSession entry, string remote)
    {
        bool ended;
        lock (_sessions)
        {
            ended = IsIdleLocked(entry) && _sessions.TryGetValue(entry.Key, out ServerSession? held) && held == entry && _sessions.Remove(entry.Key);
        }

        if (!ended)
        {
            Log(TunnelLogLevel.Info, $"tunnel: {remote} {entry.Session}: connection closed: the client shut down");
            return;
        }

        Log(TunnelLogLevel.Info, $"tunnel: {remote} {entry.Session} ended: the client shut down");
        entry.Session.CloseFinal(TunnelErrorCode.SessionLost);
    }

    /// <summary>No connection carries the session and none is attaching to it (under the sessions lock).</summary>
    private static bool IsIdleLocked(ServerSession entry) => entry.Pending == 0 && !entry.Session.IsConnected;

    /// <summary>
    /// Drops sessions that have had no connection for <see cref="TunnelServerOptions.SessionLinger"/>. One periodic
    /// timer for the server's life (disposed when it stops), so a sweep that finds nothing allocates nothing.
    /// </summary>
    private async Task SweepLoopAsync()
    {
        TimeSpan period = TimeSpan.FromTicks(Math.Clamp(_options.SessionLinger.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(5).Ticks));
        var expired = new List<ServerSession>();
        using var timer = new PeriodicTimer(period, _options.TimeProvider);
        using CancellationTokenRegistration stopping = _stop.Token.UnsafeRegister(static t => ((PeriodicTimer)t!).Dispose(), timer);
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            long now = _options.TimeProvider.GetTimestamp();
            lock (_sessions)
            {
                foreach (ServerSession entry in _sessions.Values)
                {
                    if (IsIdleLocked(entry) && _options.TimeProvider.GetElapsedTime(entry.Session.DetachedTimestamp, now) >= _options.SessionLinger)
                    {
                        expired.Add(entry);
                    }
                }

                foreach (ServerSession entry in expired)
                {
                    _sessions.Remove(entry.Key);
                }
            }

            foreach (ServerSession entry in expired)
            {
                Log(TunnelLogLevel.Info, $"tunnel: {entry.Session} expired after {_options.SessionLinger.TotalSeconds:0.#} s without a connection");
                entry.Session.CloseFinal(TunnelErrorCode.SessionLost);
            }

            expired.Clear();
        }
    }

    /// <summary>
    /// A warning about a refused peer, at most <see cref="RefusalLogBurst"/> per 10 s (anyone who can reach the port can
    /// cause them; the <see cref="RejectedConnections"/> counter still counts every one).
    /// </summary>
    private void LogRefusal(string message)
    {
        if (_options.Log.IsEnabled(TunnelLogLevel.Warning) && _refusals.TryAcquire(out long suppressed))
        {
            _options.Log.Write(TunnelLogLevel.Warning, LogRateLimit.Annotate(message, suppressed));
        }
    }

    private void Log(TunnelLogLevel level, string message)
    {
        if (_options.Log.IsEnabled(level))
        {
            _options.Log.Write(level, message);
        }
    }

    /// <summary>A session as the server holds it, with its key and attach gate.</summary>
    private sealed class ServerSession(TunnelSession session, UInt128 key)
    {
        public TunnelSession Session { get; } = session;

        public UInt128 Key { get; } = key;

        /// <summary>One attach at a time per session (two reconnects racing to resume it).</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Attaches in progress (guarded by the sessions lock); the sweep skips such sessions.</summary>
        public int Pending { get; set; }

        /// <summary>The fingerprint of the certificate that opened it, or null for the pre-shared key: who may resume it.</summary>
        public string? ClientFingerprint { get; init; }

        /// <summary>How the client proved itself, for log lines ("pre-shared key", or its certificate with its name).</summary>
        public required string ClientIdentity { get; init; }

        /// <summary>A reload no longer lets its client in: it was taken out of the sessions and is being ended.</summary>
        public bool Revoked { get; set; }
    }
}
