using System.Buffers;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>
/// Carries one session over one authenticated connection: a receive loop, a send loop and a keepalive loop. The first
/// loop to end (or the first <see cref="Fail"/>) decides the close reason, except that a send loop that finds the peer
/// gone leaves the receive loop <see cref="CloseGrace"/> to read what the peer sent last (why it went); the others are
/// stopped and awaited before the connection is disposed (docs/tunnel-protocol.md §7–8). The session survives it.
/// </summary>
internal sealed partial class TunnelConnectionRunner
{
    /// <summary>How long the send loop may take to get an ERROR frame out before the transport is cut.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Longest an owed ACK waits for something else to be written with it, after a read of less than
    /// <see cref="TunnelSession.AckAtOnceBytes"/> since the last ACK (docs/tunnel-protocol.md §6). An ACK written alone
    /// just before the answer it precedes makes two small TCP segments, and a proxy or relay on the way that does not
    /// set TCP_NODELAY holds the second until the first is acknowledged: up to 40 ms per direction on Linux, each round
    /// trip. Held back, the ACK leaves in the answer's segment. Nothing waits for an ACK but room in the peer's replay
    /// buffer, which <see cref="TunnelSession.AckAtOnceBytes"/> keeps.
    /// </summary>
    internal static readonly TimeSpan AckDelay = TimeSpan.FromMilliseconds(20);

    private readonly TunnelSession _session;
    private readonly ITunnelConnection _connection;
    private readonly TunnelOptions _options;
    private readonly TimeProvider _time;
    private readonly TunnelFrameReader _frames;
    private readonly CancellationTokenSource _stop = new();
    private int _reason;
    private int _closing;
    private TunnelErrorCode _errorToSend;
    private string? _detail;
    private string? _sendFailureDetail;
    private long _lastReceived;
    private long _lastSent;
    private ITimer? _ackTimer;
    private int _ackTimerArmed;

    public TunnelConnectionRunner(TunnelSession session, ITunnelConnection connection)
    {
        _session = session;
        _connection = connection;
        _options = session.Options;
        _time = _options.TimeProvider;
        _frames = new TunnelFrameReader(_options.MaxBodyLength);
        _lastReceived = _lastSent = _time.GetTimestamp();
    }

    /// <summary>Completes with the close reason once every loop has stopped and the connection is disposed.</summary>
    public Task<TunnelCloseReason> Completion { get; private set; } = Task.FromResult(TunnelCloseReason.None);

    public string Remote => _connection.RemoteDescription;

    private bool Closing => Volatile.Read(ref _closing) != 0;

    private TunnelCloseReason Reason => (TunnelCloseReason)Volatile.Read(ref _reason);

    public void Start() => Completion = RunAsync();

    /// <summary>
    /// Ends the connection with <paramref name="reason"/> (the first reason wins), sending ERROR
    /// <paramref name="code"/> first unless it is None. Safe from any thread.
    /// </summary>
    public bool Fail(TunnelCloseReason reason, TunnelErrorCode code, string? detail = null)
    {
        if (Interlocked.CompareExchange(ref _reason, (int)reason, (int)TunnelCloseReason.None) != (int)TunnelCloseReason.None)
        {
            return false;
        }

        _errorToSend = code;
        _detail = detail;
        Volatile.Write(ref _closing, 1);
        try
        {
            _connection.Transport.Input.CancelPendingRead();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // the connection is already being disposed: nothing left to wake
        }

        _session.Signal.Set();
        return true;
    }

    /// <summary>Ends the connection at once, as a network failure would (no ERROR frame unless <paramref name="code"/> is set).</summary>
    public void Abort(TunnelCloseReason reason, TunnelErrorCode code)
    {
        Fail(reason, code);
        if (code == TunnelErrorCode.None)
        {
            _connection.Abort();
        }
    }

    private async Task<TunnelCloseReason> RunAsync()
    {
        byte[] frameBuffer = ArrayPool<byte>.Shared.Rent(_options.MaxBodyLength + TunnelFrameHeader.Length);
        byte[] decompressBuffer = ArrayPool<byte>.Shared.Rent(_options.MaxBatchBytes);
        byte[] batchBuffer = ArrayPool<byte>.Shared.Rent(_options.MaxBatchBytes);
        _ackTimer = _time.CreateTimer(static runner => ((TunnelConnectionRunner)runner!).AckDelayPassed(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            Task<TunnelCloseReason> receive = ReceiveLoopAsync(frameBuffer, decompressBuffer);
            Task<TunnelCloseReason> send = SendLoopAsync(batchBuffer);
            Task keepalive = KeepaliveLoopAsync();
            Task<TunnelCloseReason> first = await Task.WhenAny(receive, send).ConfigureAwait(false);
            if (first == send && !Closing && await Task.WhenAny(receive, Task.Delay(CloseGrace, _time)).ConfigureAwait(false) == receive)
            {
                // The send loop found the peer gone, but what the peer sent before it went may still wait to be read (an
                // ERROR Shutdown: it will not resume). The receive loop, reading to the end of the stream, knows why.
                first = receive;
            }

            Fail(await first.ConfigureAwait(false), TunnelErrorCode.None, first == send ? _sendFailureDetail : null);
            if (!send.IsCompleted)
            {
                await Task.WhenAny(send, Task.Delay(CloseGrace, _time)).ConfigureAwait(false);
            }

            _connection.Abort();
            await _stop.CancelAsync().ConfigureAwait(false);
            await receive.ConfigureAwait(false);
            await send.ConfigureAwait(false);
            await keepalive.ConfigureAwait(false);
        }
        finally
        {
            _ackTimer.Dispose();
            await _connection.DisposeAsync().ConfigureAwait(false);
            ArrayPool<byte>.Shared.Return(frameBuffer);
            ArrayPool<byte>.Shared.Return(decompressBuffer);
            ArrayPool<byte>.Shared.Return(batchBuffer);
            _session.Detach(this, Reason);
            _stop.Dispose();
            LogClose();
        }

        return Reason;
    }

    /// <summary>Receive loop: the owed ACK goes when something else is written, or after <see cref="AckDelay"/> at the latest.</summary>
    private void HoldAck()
    {
        if (Interlocked.Exchange(ref _ackTimerArmed, 1) == 0)
        {
            _ackTimer?.Change(AckDelay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Timer thread: an ACK still owed <see cref="AckDelay"/> after it was held back is written alone.</summary>
    private void AckDelayPassed()
    {
        Interlocked.Exchange(ref _ackTimerArmed, 0); // before the look: an ACK owed after it arms the timer again
        if (_session.AckDue)
        {
            _session.Signal.Set();
        }
    }

    /// <summary>
    /// Checks the peer's silence and this side's every tick. One periodic timer for the connection's life, not a
    /// Task.Delay per tick: a tick allocates nothing, so a long-lived idle or busy tunnel does not either. Ends when
    /// the connection stops (<see cref="_stop"/> disposes the timer, which completes the pending wait with false).
    /// </summary>
    private async Task KeepaliveLoopAsync()
    {
        TimeSpan tick = TimeSpan.FromTicks(Math.Min(_options.PingInterval.Ticks / 2, _options.DeadPeerTimeout.Ticks / 4));
        using var timer = new PeriodicTimer(tick, _time);
        using CancellationTokenRegistration stopping = _stop.Token.UnsafeRegister(static t => ((PeriodicTimer)t!).Dispose(), timer);
        while (!Closing && await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            long now = _time.GetTimestamp();
            TimeSpan silent = _time.GetElapsedTime(Volatile.Read(ref _lastReceived), now);
            if (silent >= _options.DeadPeerTimeout)
            {
                Fail(TunnelCloseReason.DeadPeer, TunnelErrorCode.DeadPeer, $"nothing received for {silent.TotalSeconds:0.0} s");
                return;
            }

            if (_time.GetElapsedTime(Volatile.Read(ref _lastSent), now) >= _options.PingInterval)
            {
                _session.RequestPing();
            }
        }
    }

    private void LogClose()
    {
        TunnelCloseReason reason = Reason;
        if (reason is TunnelCloseReason.PeerShutdown or TunnelCloseReason.Revoked && !_session.IsClient)
        {
            // The server ends the session now and says so in one line (TunnelServer.EndSessionOfStoppedClient, EndRevokedAsync).
            return;
        }

        TunnelLogLevel level = reason switch
        {
            TunnelCloseReason.LocalShutdown or TunnelCloseReason.PeerClosed or TunnelCloseReason.Replaced
                or TunnelCloseReason.Aborted or TunnelCloseReason.TransportError => TunnelLogLevel.Info,
            _ => TunnelLogLevel.Warning,
        };
        if (_options.Log.IsEnabled(level))
        {
            string detail = _detail is null ? "" : $" ({_detail})";
            string after = _session.IsClosed || reason == TunnelCloseReason.LocalShutdown ? ""
                : reason == TunnelCloseReason.PeerShutdown ? "; the server has ended the session"
                : reason == TunnelCloseReason.Revoked ? "; the server no longer lets this client in and has ended the session"
                : "; the session stays resumable";
            _options.Log.Write(level, $"{Remote} {_session}: connection closed: {reason}{detail}{after}");
        }
    }

    private static bool IsTransportFault(Exception exception) =>
        exception is IOException or System.Net.Sockets.SocketException or ObjectDisposedException
            or InvalidOperationException or OperationCanceledException or System.Security.Authentication.AuthenticationException;
}
