using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Tunnel.Transport;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// One accepted TCP connection for Kestrel, as pipes straight over its <see cref="NetworkStream"/>: Kestrel reads
/// through a <see cref="PipeReader"/> that reads the socket when asked (zero-byte reads while idle) and writes
/// through a <see cref="PipeWriter"/> whose flush is the socket send. Both take their buffers from the server's
/// <see cref="StreamTransport"/> pool.
/// </summary>
/// <remarks>
/// Why not Kestrel's socket transport: its output pipe sends whatever has piled up as one list of 4 KiB blocks, and
/// for more than 8 blocks the runtime builds its I/O vector arrays on the heap for every send (about half a KB per
/// 64 KiB); before .NET 10 its block pool cannot be replaced either. Traffic through this connection allocates
/// nothing: the pipes' awaits are pooled and the stream's socket operations reuse one event-args object each way.
/// Threading: Kestrel reads and writes from one task each; <see cref="Abort(ConnectionAbortedException)"/> and
/// <see cref="DisposeAsync"/> from any thread.
/// </remarks>
internal sealed class StreamTransportConnection : ConnectionContext, IDuplexPipe, IConnectionIdFeature, IConnectionItemsFeature,
    IConnectionTransportFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature, IMemoryPoolFeature, IConnectionSocketFeature
{
    private static long _lastId;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly CancellationTokenSource _closed = new();
    private readonly FeatureCollection _features = new();
    private int _aborted;
    private int _disposed;

    public StreamTransportConnection(Socket socket, MemoryPool<byte> pool)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        MemoryPool = pool;
        ConnectionId = "spalloc-" + Interlocked.Increment(ref _lastId).ToString(System.Globalization.CultureInfo.InvariantCulture);
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ConnectionClosed = _closed.Token;
        Input = PipeReader.Create(_stream, new StreamPipeReaderOptions(pool, bufferSize: pool.MaxBufferSize, minimumReadSize: 4096, leaveOpen: true, useZeroByteReads: true));
        Output = PipeWriter.Create(_stream, new StreamPipeWriterOptions(pool, minimumBufferSize: 4096, leaveOpen: true));
        Transport = this;
        _features.Set<IConnectionIdFeature>(this);
        _features.Set<IConnectionItemsFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionLifetimeFeature>(this);
        _features.Set<IConnectionEndPointFeature>(this);
        _features.Set<IMemoryPoolFeature>(this);
        _features.Set<IConnectionSocketFeature>(this);
    }

    public override string ConnectionId { get; set; }

    public override IFeatureCollection Features => _features;

    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    public override IDuplexPipe Transport { get; set; }

    public override CancellationToken ConnectionClosed { get; set; }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    public MemoryPool<byte> MemoryPool { get; }

    /// <summary>The accepted socket (for a long poll's look whether the client is still there).</summary>
    public Socket Socket => _socket;

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>Shuts the socket down both ways, which ends a pending read or send, and signals <see cref="ConnectionClosed"/>. Idempotent.</summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        SocketShutdowns.TryShutdownBoth(_socket);

        SignalClosed();
    }

    /// <summary>Completes both pipes (flushing what Kestrel left), closes the socket and signals <see cref="ConnectionClosed"/>. Idempotent.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Input.CompleteAsync().ConfigureAwait(false);
        try
        {
            await Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // flushing leftovers to a dead socket
        }

        Abort(new ConnectionAbortedException("the connection was disposed"));
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Runs the <see cref="ConnectionClosed"/> callbacks on the thread pool, not inside the caller's lock or loop.</summary>
    private void SignalClosed() =>
        ThreadPool.UnsafeQueueUserWorkItem(static closed =>
        {
            try
            {
                closed.Cancel();
            }
            catch (AggregateException ex)
            {
                Log.Warn(ProxyHub.Component, $"a connection-closed callback failed: {ex.InnerException?.Message}");
            }
        }, _closed, preferLocal: false);
}

