using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using FastSpinnRelay.Protocol.Spalloc;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Spalloc.Client.Internal;
using FastSpinnRelay.Relay.Spalloc.Internal;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Spalloc.Client;

/// <summary>Receives board datagrams (MSG frames) from a <see cref="SpallocProxyClient"/>, on its receive thread, one at a time.</summary>
public interface ISpallocProxyHandler
{
    /// <summary>A datagram from the board on <paramref name="channel"/>; the span is valid only during the call. Do not block.</summary>
    void OnMessage(uint channel, ReadOnlySpan<byte> payload);

    /// <summary>
    /// No further frame has arrived yet (the next receive would wait): send whatever <see cref="OnMessage"/> gathered.
    /// Called on the receive thread before every receive that does not complete at once, so a lone datagram is never
    /// held back. Default: nothing (a handler that sends at once needs nothing).
    /// </summary>
    void OnReceiveIdle()
    {
    }
}

/// <summary>Limits of a proxy websocket.</summary>
public sealed record SpallocProxyOptions
{
    /// <summary>How long OPEN, CLOSE and OPEN_UNBOUND wait for their reply (default 10 s; spinnman waits forever).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Websocket ping interval (default 30 s, as spinnman: idle-closing proxies such as nginx cut at 60 s).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bytes of outgoing frames held while the websocket is slower than the local senders (default 1 MiB: about
    /// 37,000 spike datagrams, a third of a second at 100k/s); more are dropped and counted. Two buffers of this
    /// size are reserved per websocket (memory is used only as a backlog first reaches it).
    /// </summary>
    public int SendQueueBytes { get; init; } = 1 << 20;

    /// <summary>Accept any TLS certificate (self-signed test gateways only).</summary>
    public bool Insecure { get; init; }
}

/// <summary>
/// One Spalloc proxy websocket (protocols.md §7.2): calls matched to replies by correlation ID, each with a time
/// limit; MSG and MSG_TO queued from any thread without blocking (<see cref="TrySendMessage"/>, then
/// <see cref="Flush"/> once per batch) and sent by one sender task; MSG frames from the server handed to an
/// <see cref="ISpallocProxyHandler"/>. When the websocket ends, <see cref="Closed"/> completes with the reason and
/// every waiting call fails.
/// </summary>
public sealed class SpallocProxyClient : IAsyncDisposable
{
    private const int ReceiveBufferBytes = SpallocServerOptions.MaxClientMessageBytes + 64;

    private readonly ClientWebSocket _ws;
    private readonly ISpallocProxyHandler _handler;
    private readonly SpallocProxyOptions _options;
    private readonly OutgoingFrames _outgoing;
    private readonly AsyncSignal _wake = new();
    private readonly ConcurrentDictionary<uint, TaskCompletionSource<Reply>> _pending = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Task _receiver = Task.CompletedTask;
    private Task _sender = Task.CompletedTask;
    private int _nextCorrelation = -1;
    private long _malformedFrames;
    private readonly LogLimiter _malformedLog = new(5, TimeSpan.FromSeconds(10));

    /// <summary>The handler the websocket was opened with (its connection is the websocket's; disposed with it).</summary>
    private readonly HttpMessageInvoker _invoker;

    /// <summary>The connection under the websocket, whose writes the sender gathers (null if the handler made none).</summary>
    private readonly GatheringStream? _gathering;

    private SpallocProxyClient(Uri uri, Handshake handshake, ISpallocProxyHandler handler, SpallocProxyOptions options)
    {
        Uri = uri;
        _ws = handshake.WebSocket;
        _invoker = handshake.Invoker;
        _gathering = handshake.Gathering;
        _handler = handler;
        _options = options;
        _outgoing = new OutgoingFrames(options.SendQueueBytes);
    }

    /// <summary>The websocket's URL.</summary>
    public Uri Uri { get; }

    /// <summary>Completes (with the reason, one line) when the websocket has ended for any reason.</summary>
    public Task<string> Closed => _closed.Task;

    /// <summary>Frames not sent because the send queue was full.</summary>
    public long FramesDropped => _outgoing.Dropped;

    /// <summary>Frames from the server that are not well formed (ignored, as spinnman ignores them; logged at most 5 per 10 s).</summary>
    public long MalformedFrames => Interlocked.Read(ref _malformedFrames);

    /// <summary>
    /// Opens the websocket with the session cookie and the CSRF header, as spinnman does. A handshake refused with 401
    /// (the session is gone, e.g. the service restarted) logs in again once and retries. Fails with a
    /// <see cref="SpallocClientException"/> naming the URL and the refused handshake's status.
    /// </summary>
    public static async Task<SpallocProxyClient> ConnectAsync(
        Uri proxy, SpallocClient session, ISpallocProxyHandler handler, SpallocProxyOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SpallocProxyOptions();
        Handshake ws;
        try
        {
            ws = await HandshakeAsync(proxy, session, options, cancellationToken).ConfigureAwait(false);
        }
        catch (SpallocClientException ex) when (ex.Status == (int)HttpStatusCode.Unauthorized)
        {
            Log.Info("spalloc", $"websocket {proxy}: session expired, logging in again");
            await session.LoginAsync(cancellationToken).ConfigureAwait(false);
            ws = await HandshakeAsync(proxy, session, options, cancellationToken).ConfigureAwait(false);
        }

        var client = new SpallocProxyClient(proxy, ws, handler, options);
        client._receiver = Task.Run(client.ReceiveLoopAsync, CancellationToken.None);
        client._sender = Task.Run(client.SendLoopAsync, CancellationToken.None);
        return client;
    }

    /// <summary>
    /// Opens the websocket through its own handler, whose connection writes through a <see cref="GatheringStream"/>
    /// (<see cref="GatheringConnector"/>), so the sender can write a batch of frames at once.
    /// </summary>
    private static async Task<Handshake> HandshakeAsync(Uri proxy, SpallocClient session, SpallocProxyOptions options, CancellationToken cancellationToken)
    {
        var connector = new GatheringConnector();
        // The same proxy as the session's REST calls: the callback then connects to the proxy, and the handler asks it for
        // a tunnel (CONNECT) to the service, as it does for ws:// and wss:// alike.
        var httpHandler = new SocketsHttpHandler
        {
            CookieContainer = session.Cookies, UseCookies = true, ConnectCallback = connector.ConnectAsync, Proxy = session.Options.Proxy,
        };
        if (options.Insecure || session.Options.Insecure)
        {
            httpHandler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }

        var invoker = new HttpMessageInvoker(httpHandler);
        var ws = new ClientWebSocket();
        ws.Options.CollectHttpResponseDetails = true;
        ws.Options.KeepAliveInterval = options.PingInterval;
        ws.Options.KeepAliveTimeout = options.PingInterval;
        if (session.CsrfHeader is { } header && session.CsrfToken is { } token)
        {
            ws.Options.SetRequestHeader(header, token);
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(options.CallTimeout);
        try
        {
            await ws.ConnectAsync(proxy, invoker, limit.Token).ConfigureAwait(false);
            return new Handshake(ws, invoker, connector.Stream);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            var status = ws.HttpStatusCode;
            ws.Dispose();
            invoker.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            if (ex is OperationCanceledException)
            {
                throw new SpallocClientException(SpallocFailure.Timeout, $"websocket {proxy}: no handshake within {options.CallTimeout.TotalSeconds:0.#} s");
            }

            throw status != 0
                ? new SpallocClientException(SpallocFailure.Service, $"websocket {proxy}: the handshake was refused: {(int)status} {status}", null, (int)status)
                : new SpallocClientException(SpallocFailure.Network, $"websocket {proxy}: cannot connect: {Log.Escape((ex.InnerException ?? ex).Message, 160)}", ex);
        }
    }

    /// <summary>OPEN: a channel to <paramref name="port"/> on the board whose Ethernet chip is (x, y); returns the channel ID.</summary>
    public async Task<uint> OpenAsync(int x, int y, int port, CancellationToken cancellationToken = default)
    {
        var reply = await CallAsync($"OPEN ({x},{y},{port})", (buffer, corr) =>
        {
            SpallocFrameWriter.TryWriteOpen(buffer, corr, (uint)x, (uint)y, (uint)port, out var n);
            return n;
        }, cancellationToken).ConfigureAwait(false);
        return reply.Channel;
    }

    /// <summary>OPEN_UNBOUND: a channel for MSG_TO and for board output sent to the server's address and port (returned).</summary>
    public async Task<(uint Channel, IPEndPoint ServerEndPoint)> OpenUnboundAsync(CancellationToken cancellationToken = default)
    {
        var reply = await CallAsync("OPEN_UNBOUND", (buffer, corr) =>
        {
            SpallocFrameWriter.TryWriteOpenUnbound(buffer, corr, out var n);
            return n;
        }, cancellationToken).ConfigureAwait(false);
        return (reply.Channel, new IPEndPoint(new IPAddress(reply.Address!), (int)reply.Port));
    }

    /// <summary>CLOSE: closes a channel; false when the server says it was not open.</summary>
    public async Task<bool> CloseAsync(uint channel, CancellationToken cancellationToken = default)
    {
        var reply = await CallAsync($"CLOSE {channel}", (buffer, corr) =>
        {
            SpallocFrameWriter.TryWriteClose(buffer, corr, channel, out var n);
            return n;
        }, cancellationToken).ConfigureAwait(false);
        return reply.Channel != 0;
    }

    /// <summary>Queues a MSG (any thread, never blocks); false when the send queue is full or the websocket is gone. Call <see cref="Flush"/> after a batch.</summary>
    public bool TrySendMessage(uint channel, ReadOnlySpan<byte> payload)
    {
        var frame = new MessageFrame(channel, payload);
        return !_closed.Task.IsCompleted && _outgoing.TryAppend(frame.Length, frame);
    }

    /// <summary>Queues a MSG_TO on an unbound channel (any thread, never blocks); see <see cref="TrySendMessage"/>.</summary>
    public bool TrySendMessageTo(uint channel, int x, int y, int port, ReadOnlySpan<byte> payload)
    {
        var frame = new MessageToFrame(channel, (uint)x, (uint)y, (uint)port, payload);
        return !_closed.Task.IsCompleted && _outgoing.TryAppend(frame.Length, frame);
    }

    /// <summary>Wakes the sender for what was queued (once per batch, not per datagram).</summary>
    public void Flush() => _wake.Set();

    /// <summary>
    /// <see cref="Flush"/> for what one receive of <paramref name="received"/> datagrams queued, from the UDP loop with no
    /// lock held: after a short receive an idle sender writes on this thread instead of waking a pool thread
    /// (<see cref="AsyncSignal.SetAfterRun"/>).
    /// </summary>
    public void FlushAfterReceive(int received) => _wake.SetAfterRun(received);

    /// <summary>Closes the websocket (politely, within 1 s) and stops both loops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ws.State == WebSocketState.Open)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "relay spalloc connect: closing", limit.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Going anyway.
            }
        }

        End("closed by this client");
        await Task.WhenAll(_receiver, _sender).ConfigureAwait(false);
        _ws.Dispose();
        _invoker.Dispose();
        _stop.Dispose();
    }

    private async Task<Reply> CallAsync(string what, Func<byte[], uint, int> write, CancellationToken cancellationToken)
    {
        var corr = (uint)Interlocked.Increment(ref _nextCorrelation);
        var reply = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[corr] = reply;
        var frame = new byte[32];
        var length = write(frame, corr);
        if (_closed.Task.IsCompleted || !_outgoing.TryAppend(length, new RawFrame(frame.AsSpan(0, length))))
        {
            _pending.TryRemove(corr, out _);
            throw new SpallocClientException(SpallocFailure.Network, $"websocket {Uri}: cannot send {what}: {(_closed.Task.IsCompleted ? _closed.Task.Result : "send queue full")}");
        }

        _wake.Set();
        try
        {
            var result = await reply.Task.WaitAsync(_options.CallTimeout, cancellationToken).ConfigureAwait(false);
            return result.Error is { } error
                ? throw new SpallocClientException(SpallocFailure.Service, $"websocket {Uri}: {what} refused: {error}")
                : result;
        }
        catch (TimeoutException)
        {
            throw new SpallocClientException(SpallocFailure.Timeout, $"websocket {Uri}: no reply to {what} within {_options.CallTimeout.TotalSeconds:0.#} s");
        }
        finally
        {
            _pending.TryRemove(corr, out _);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[ReceiveBufferBytes];
        var reason = "the server closed the websocket";
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        End($"a message longer than {buffer.Length} bytes");
                        return;
                    }

                    // No cancellation token: with one, ManagedWebSocket registers on it for every receive (a measurable
                    // share of a small frame's cost). End() aborts the websocket, which ends a pending receive.
                    var receive = _ws.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    if (!receive.IsCompleted)
                    {
                        // Nothing more is waiting: what the handler gathered goes now, not with the next frame.
                        _handler.OnReceiveIdle();
                    }

                    result = await receive.ConfigureAwait(false);
                    length += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    reason = $"the server closed the websocket ({(int?)_ws.CloseStatus} {Log.Escape(_ws.CloseStatusDescription ?? "", 120)})";
                    break;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    Dispatch(buffer.AsSpan(0, length));
                }
            }
        }
        catch (OperationCanceledException)
        {
            reason = "closed by this client";
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            reason = "the connection dropped: " + Log.Escape((ex.InnerException ?? ex).Message, 160);
        }
        finally
        {
            _handler.OnReceiveIdle(); // what was received before the end still goes out
        }

        End(reason);
    }

    private void Dispatch(ReadOnlySpan<byte> message)
    {
        var error = SpallocServerFrame.TryRead(message, out var frame);
        if (error != SpallocFrameError.None)
        {
            // Ignored, as spinnman ignores short frames, but counted and said.
            Interlocked.Increment(ref _malformedFrames);
            _malformedLog.Write(
                LogLevel.Warning, "spalloc", (Uri, error, message.Length),
                static s => $"websocket {s.Uri}: ignored a malformed frame from the server ({s.error}, {s.Length} bytes)");
            return;
        }

        if (frame.Op == SpallocOp.Message)
        {
            _handler.OnMessage(frame.ChannelId, frame.Payload);
            return;
        }

        if (!_pending.TryGetValue(frame.CorrelationId, out var waiter))
        {
            return;
        }

        waiter.TrySetResult(frame.Op switch
        {
            SpallocOp.Error => new Reply(0, null, 0, Log.Escape(Encoding.UTF8.GetString(frame.ErrorUtf8), 200)),
            SpallocOp.OpenUnbound => new Reply(frame.ChannelId, frame.Ipv4Address.ToArray(), frame.Port, null),
            _ => new Reply(frame.ChannelId, null, 0, null),
        });
    }

    private async Task SendLoopAsync()
    {
        try
        {
            while (!_closed.Task.IsCompleted)
            {
                await _wake.WaitAsync().ConfigureAwait(false);
                var (buffer, length) = _outgoing.Take();
                try
                {
                    for (var offset = 0; offset < length;)
                    {
                        offset = OutgoingFrames.Next(buffer, offset, out var frame);

                        // Every frame but the batch's last is gathered; the last writes them all (a lone one goes at once).
                        if (_gathering is { } gathering)
                        {
                            gathering.Gathering = offset < length;
                        }

                        // No cancellation token: with one, ManagedWebSocket takes its slower path that allocates per frame
                        // when the send completes asynchronously. End() aborts the websocket, which ends a pending send.
                        await _ws.SendAsync(frame, WebSocketMessageType.Binary, true, CancellationToken.None).ConfigureAwait(false);
                    }
                }
                finally
                {
                    if (_gathering is { } gathering)
                    {
                        gathering.Gathering = false;
                    }
                }

                _outgoing.Return(buffer);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Ending.
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            End("sending failed: " + Log.Escape((ex.InnerException ?? ex).Message, 160));
        }
    }

    private void End(string reason)
    {
        if (!_closed.TrySetResult(reason))
        {
            return;
        }

        _outgoing.Clear();
        foreach (var waiter in _pending.Values)
        {
            waiter.TrySetException(new SpallocClientException(SpallocFailure.Network, $"websocket {Uri}: {reason}"));
        }

        _stop.Cancel();
        _wake.Set();
        if (_ws.State is not (WebSocketState.Closed or WebSocketState.Aborted))
        {
            _ws.Abort();
        }
    }

    private sealed record Handshake(ClientWebSocket WebSocket, HttpMessageInvoker Invoker, GatheringStream? Gathering);

    private readonly record struct Reply(uint Channel, byte[]? Address, uint Port, string? Error);
}
