using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using FastSpinnRelay.Protocol.Spalloc;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

/// <summary>
/// A proxy websocket client for tests: one reader task puts every server frame in a queue (or hands it to a bridge
/// registered for its channel), records the close status, and sends are serialised. Every wait is bounded.
/// </summary>
internal sealed class ProxyClient : IAsyncDisposable
{
    private readonly ClientWebSocket _ws;
    private readonly BlockingCollection<byte[]> _frames = [];
    private readonly ConcurrentDictionary<uint, Action<byte[]>> _bridges = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _reader;
    private uint _nextCorrelation = 100;
    private int _disposed;
    private volatile TaskCompletionSource? _paused;

    private ProxyClient(ClientWebSocket ws) => _ws = ws;

    public WebSocketState State => _ws.State;

    public WebSocketCloseStatus? CloseStatus { get; private set; }

    public string? CloseDescription { get; private set; }

    public uint NextCorrelation() => Interlocked.Increment(ref _nextCorrelation);

    /// <summary>Connects with the session cookies; <paramref name="receiveBufferBytes"/> shrinks the client's TCP receive buffer (slow-reader tests).</summary>
    public static async Task<ProxyClient> ConnectAsync(Uri uri, CookieContainer? cookies, bool startReading = true, int receiveBufferBytes = 0)
    {
        var ws = new ClientWebSocket();
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        ws.Options.CollectHttpResponseDetails = true;
        using var handler = new SocketsHttpHandler
        {
            CookieContainer = cookies ?? new CookieContainer(),
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },   // the TLS test's self-signed certificate
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                if (receiveBufferBytes > 0)
                {
                    socket.ReceiveBufferSize = receiveBufferBytes;
                }

                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        using var timeout = new CancellationTokenSource(Loopback.Limit);
        await ws.ConnectAsync(uri, invoker, timeout.Token);
        var client = new ProxyClient(ws);
        if (startReading)
        {
            client.StartReading();
        }

        return client;
    }

    /// <summary>Tries to connect and returns the HTTP status of the refused handshake (or 101 when it was accepted).</summary>
    public static async Task<HttpStatusCode> HandshakeStatusAsync(Uri uri, CookieContainer? cookies)
    {
        using var ws = new ClientWebSocket();
        ws.Options.Cookies = cookies;
        ws.Options.CollectHttpResponseDetails = true;
        using var timeout = new CancellationTokenSource(Loopback.Limit);
        try
        {
            await ws.ConnectAsync(uri, timeout.Token);
            ws.Abort();
            return HttpStatusCode.SwitchingProtocols;
        }
        catch (WebSocketException)
        {
            return ws.HttpStatusCode;
        }
    }

    public void StartReading() => _reader ??= Task.Run(ReadLoopAsync);

    /// <summary>Stops taking frames off the websocket (after the one being read), as a client that stopped reading would.</summary>
    public void PauseReading() => _paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ResumeReading() => _paused?.TrySetResult();

    public async Task SendAsync(byte[] frame, WebSocketMessageType type = WebSocketMessageType.Binary)
    {
        await _sendLock.WaitAsync(Loopback.Limit);
        try
        {
            using var timeout = new CancellationTokenSource(Loopback.Limit);
            await _ws.SendAsync(frame, type, endOfMessage: true, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The next frame not taken by a bridge; fails the test after the limit.</summary>
    public byte[] NextFrame()
    {
        Assert.True(_frames.TryTake(out var frame, Loopback.Limit), "no frame arrived within the test limit");
        return frame!;
    }

    public bool TryNextFrame(TimeSpan wait, out byte[]? frame) => _frames.TryTake(out frame, wait);

    /// <summary>OPEN; asserts the reply's shape and returns the channel.</summary>
    public async Task<uint> OpenAsync(uint x, uint y, int port)
    {
        var corr = NextCorrelation();
        var frame = new byte[20];
        Assert.True(SpallocFrameWriter.TryWriteOpen(frame, corr, x, y, (uint)port, out _));
        await SendAsync(frame);
        var reply = NextFrame();
        Assert.Equal(SpallocFrameError.None, SpallocServerFrame.TryRead(reply, out var f));
        Assert.Equal((SpallocOp.Open, corr), (f.Op, f.CorrelationId));
        Assert.NotEqual(0u, f.ChannelId);
        return f.ChannelId;
    }

    public async Task<(uint Channel, IPAddress Address, int Port)> OpenUnboundAsync()
    {
        var corr = NextCorrelation();
        var frame = new byte[8];
        Assert.True(SpallocFrameWriter.TryWriteOpenUnbound(frame, corr, out _));
        await SendAsync(frame);
        var reply = NextFrame();
        Assert.Equal(SpallocFrameError.None, SpallocServerFrame.TryRead(reply, out var f));
        Assert.Equal((SpallocOp.OpenUnbound, corr), (f.Op, f.CorrelationId));
        return (f.ChannelId, new IPAddress(f.Ipv4Address), (int)f.Port);
    }

    public Task SendMessageAsync(uint channel, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[8 + payload.Length];
        Assert.True(SpallocFrameWriter.TryWriteMessage(frame, channel, payload, out _));
        return SendAsync(frame);
    }

    public Task SendMessageToAsync(uint channel, uint x, uint y, int port, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[20 + payload.Length];
        Assert.True(SpallocFrameWriter.TryWriteMessageTo(frame, channel, x, y, (uint)port, payload, out _));
        return SendAsync(frame);
    }

    /// <summary>The next MSG frame's payload on <paramref name="channel"/> (other frames are skipped, at most 10,000).</summary>
    public byte[] NextMessage(uint channel)
    {
        for (var i = 0; i < 10_000; i++)
        {
            var frame = NextFrame();
            if (BinaryPrimitives.ReadUInt32LittleEndian(frame) == (uint)SpallocOp.Message && BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(4)) == channel)
            {
                return frame[8..];
            }
        }

        Assert.Fail($"no MSG on channel {channel}");
        return [];
    }

    /// <summary>Routes MSG frames of <paramref name="channel"/> to <paramref name="handler"/> instead of the queue.</summary>
    public void Bridge(uint channel, Action<byte[]> handler) => _bridges[channel] = handler;

    /// <summary>Waits (bounded) for the server to close; returns its close status.</summary>
    public async Task<WebSocketCloseStatus?> WaitClosedAsync()
    {
        StartReading();
        await _closed.Task.WaitAsync(Loopback.Limit);
        return CloseStatus;
    }

    public async Task CloseAsync()
    {
        using var timeout = new CancellationTokenSource(Loopback.Limit);
        await _sendLock.WaitAsync(Loopback.Limit);
        try
        {
            await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }

        await _closed.Task.WaitAsync(Loopback.Limit);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        _ws.Abort();
        if (_reader is not null)
        {
            await _reader.WaitAsync(Loopback.Limit);
        }

        _ws.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
        _frames.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[128 << 10];
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (_paused is { } paused)
                {
                    await paused.Task.WaitAsync(_stop.Token);
                    _paused = null;
                }

                var filled = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _ws.ReceiveAsync(buffer.AsMemory(filled), _stop.Token);
                    filled += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    CloseStatus = _ws.CloseStatus;
                    CloseDescription = _ws.CloseStatusDescription;
                    return;
                }

                var frame = buffer[..filled];
                if (frame.Length >= 8 && BinaryPrimitives.ReadUInt32LittleEndian(frame) == (uint)SpallocOp.Message
                    && _bridges.TryGetValue(BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(4)), out var bridge))
                {
                    bridge(frame[8..]);
                }
                else
                {
                    _frames.Add(frame);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // Aborted or reset: the close status stays null.
        }
        finally
        {
            _closed.TrySetResult();
        }
    }
}
