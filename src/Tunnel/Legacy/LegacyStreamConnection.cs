using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Legacy;

/// <summary>
/// One spinnaker_proxy TCP connection: a receive loop that slices whole frames (4-byte big-endian length +
/// datagram) and hands each to an <see cref="ILegacyFrameHandler"/>, and a send loop that writes what a
/// <see cref="FrameOutbox"/> holds. Either loop ending (peer closed, reset, oversized frame, write failure)
/// ends both; <see cref="RunAsync"/> reports the first cause.
/// </summary>
/// <remarks>
/// <para>
/// Threading: <see cref="RunAsync"/> once; <see cref="Close"/>, <see cref="CloseIfStalled"/>, <see cref="FlushOrWake"/>
/// and the counters from any thread. The handler runs on the receive loop's thread-pool thread. Nothing here blocks a caller.
/// </para>
/// <para>
/// Steady state allocates nothing per frame: socket reads and writes complete through the socket's reusable
/// awaitables, the send loop is woken without allocating, and frames are slices of one receive buffer (grown only
/// when a larger frame is announced, up to 4 + <see cref="LegacyStreamOptions.MaxFrameLength"/>). With a
/// <see cref="LegacyStreamOptions.MinFrameGap"/>, each wait allocates a timer (boot traffic only).
/// </para>
/// <para>
/// Framing safety: a write either sends its whole block of frames or the connection is closed, so the stream
/// never desynchronises; an announced length over the maximum closes the connection before any of its payload
/// is buffered.
/// </para>
/// </remarks>
public sealed partial class LegacyStreamConnection
{
    private readonly Socket _socket;
    private readonly FrameOutbox _outbox;
    private readonly ILegacyFrameHandler _handler;
    private readonly LegacyStreamOptions _options;
    private readonly LengthPrefixedFrameReader _reader;
    private readonly Lock _closeGate = new();
    private StreamClose? _close;
    private bool _closing;
    private int _started;

    /// <param name="socket">A connected TCP socket; this connection owns it from now on.</param>
    /// <param name="outbox">Frames to write (may outlive this connection, e.g. across a client's reconnects).</param>
    /// <param name="handler">Receives each incoming datagram.</param>
    /// <param name="options">Limits and pacing; default <see cref="LegacyStreamOptions.Default"/>.</param>
    public LegacyStreamConnection(Socket socket, FrameOutbox outbox, ILegacyFrameHandler handler, LegacyStreamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= LegacyStreamOptions.Default;
        options.Validate();
        _socket = socket;
        _outbox = outbox;
        _handler = handler;
        _options = options;
        _reader = new LengthPrefixedFrameReader(options.MaxFrameLength);
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
    }

    /// <summary>The peer, captured when the connection was created (null if the socket had none).</summary>
    public IPEndPoint? RemoteEndPoint { get; }

    /// <summary>The exception behind a <see cref="StreamCloseReason.Fault"/> close, if any.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>True once a cause for closing has been recorded. A plain read (the receive loop asks once per frame).</summary>
    public bool IsClosing => Volatile.Read(ref _closing);

    /// <summary>
    /// Runs both loops until the connection ends, then disposes the socket. Never throws for anything the peer or
    /// the network does; the result says why it ended.
    /// </summary>
    public async Task<StreamClose> RunAsync()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The connection is already running.");
        }

        // Sends from FlushOrWake must return at once when the socket's buffer is full, never wait.
        _socket.Blocking = false;
        var receive = ReceiveLoopAsync();
        var send = SendLoopAsync();
        var first = await Task.WhenAny(receive, send).ConfigureAwait(false);
        RecordClose(await first.ConfigureAwait(false));
        await Task.WhenAll(receive, send).ConfigureAwait(false);
        await WhenChainEndedAsync().ConfigureAwait(false);
        lock (_closeGate)
        {
            return _close!.Value;
        }
    }

    /// <summary>Closes the connection from this side (idle expiry, shutdown). Idempotent; any thread.</summary>
    public void Close() => RecordClose(Closed(StreamCloseReason.ClosedLocally, 0, "closed by this side"));

    /// <summary>
    /// Closes the connection when a write has been waiting for more than <see cref="LegacyStreamOptions.WriteTimeout"/>
    /// (the peer stopped reading). Call now and then from a timer; cheap.
    /// </summary>
    /// <param name="timestamp">Now, in <see cref="Stopwatch.GetTimestamp"/> ticks.</param>
    /// <returns>True when it closed the connection.</returns>
    public bool CloseIfStalled(long timestamp)
    {
        var started = Volatile.Read(ref _writeStarted);
        if (started == 0 || timestamp - started <= _options.WriteTimeout.TotalSeconds * Stopwatch.Frequency)
        {
            return false;
        }

        RecordClose(Closed(StreamCloseReason.WriteStalled, 0, string.Create(CultureInfo.InvariantCulture,
            $"the peer stopped reading: a write made no progress for {_options.WriteTimeout.TotalSeconds:0.#} s")));
        return true;
    }

    private static StreamClose Closed(StreamCloseReason reason, long detail, string description, SocketError error = SocketError.Success) =>
        new(reason, detail, error, description);

    /// <summary>Records the first cause, then aborts both loops (disposing the socket) and wakes the writer.</summary>
    private void RecordClose(StreamClose close)
    {
        lock (_closeGate)
        {
            if (_close is not null)
            {
                return;
            }

            _close = close;
            Volatile.Write(ref _closing, true);
        }

        // Shut down first so the peer gets an orderly FIN: disposing a socket with a read pending aborts it with a
        // reset, and a Python spinnaker_proxy server dies on a reset (ConnectionResetError is not caught there).
        SocketShutdowns.TryShutdownBoth(_socket);

        _socket.Dispose();
        _outbox.Wake();
    }

    /// <summary>Maps a socket error to a close: resets and aborts are routine, the rest are failures.</summary>
    private static StreamClose FromSocketError(SocketException e, bool writing) => e.SocketErrorCode switch
    {
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown =>
            Closed(StreamCloseReason.Reset, 0, "the peer reset the connection", e.SocketErrorCode),
        SocketError.OperationAborted or SocketError.Interrupted =>
            Closed(StreamCloseReason.ClosedLocally, 0, "closed by this side", e.SocketErrorCode),
        _ => Closed(writing ? StreamCloseReason.WriteFailed : StreamCloseReason.ReadFailed, 0,
            $"{(writing ? "write" : "read")} failed: {e.SocketErrorCode}", e.SocketErrorCode),
    };
}
