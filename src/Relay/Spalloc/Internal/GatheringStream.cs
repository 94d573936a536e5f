using System.Runtime.CompilerServices;

namespace FastSpinnRelay.Relay.Spalloc.Internal;

/// <summary>
/// The upgraded connection under a proxy websocket, with its writes gathered: while <see cref="Gathering"/> is set
/// (the send loop has more frames of a batch to send), each write the websocket makes (one whole frame: header and
/// payload) is copied into one buffer instead of going to Kestrel; the first write made with it clear sends the
/// buffer and itself in one Kestrel write and flush (the websocket's flush after each frame is skipped while gathering). So a batch of proxy frames costs one write, and a lone frame
/// (a batch of one) goes straight through, without a copy or a delay. Websocket frames and their order are untouched:
/// only where the bytes are cut into writes changes.
/// </summary>
/// <remarks>
/// Writes come one at a time: <see cref="System.Net.WebSockets.WebSocket"/> (ManagedWebSocket) holds its send lock for a
/// whole frame's write, including the pings and pongs it sends by itself, so those land between frames in the buffer
/// and leave with the batch. <see cref="Capacity"/> bounds the buffer: a full buffer is sent before the next frame is
/// gathered. Allocation-free (a send that completes later uses a pooled state machine).
/// </remarks>
internal sealed class GatheringStream(Stream inner, int capacity = GatheringStream.DefaultCapacity) : Stream
{
    /// <summary>Default bytes gathered before a write is forced: 64 KiB (about 1,900 frames of 24-byte datagrams).</summary>
    public const int DefaultCapacity = 64 * 1024;

    private readonly byte[] _buffer = GC.AllocateUninitializedArray<byte>(capacity);
    private int _used;
    private volatile bool _gathering;

    /// <summary>Bytes gathered before a write is forced.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>True while writes are gathered (set by the only writer of frames before each frame but a batch's last).</summary>
    public bool Gathering
    {
        get => _gathering;
        set => _gathering = value;
    }

    /// <summary>Bytes gathered and not yet written.</summary>
    public int Pending => _used;

    /// <summary>Writes that reached the connection (each one Kestrel write and flush).</summary>
    public long Writes { get; private set; }

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_used + buffer.Length <= _buffer.Length)
        {
            if (!_gathering && _used == 0)
            {
                Writes++;
                return inner.WriteAsync(buffer, cancellationToken); // nothing gathered: straight through, no copy
            }

            buffer.Span.CopyTo(_buffer.AsSpan(_used));
            _used += buffer.Length;
            return _gathering ? default : WriteGathered(cancellationToken);
        }

        return WriteGatheredThenAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        FlushGathered();
        Writes++;
        inner.Write(buffer);
    }

    public override void Flush()
    {
        FlushGathered();
        inner.Flush();
    }

    /// <summary>
    /// While gathering, nothing (the websocket flushes after every frame; the batch's last frame flushes them all);
    /// otherwise writes what is gathered and flushes the connection.
    /// </summary>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_gathering)
        {
            return Task.CompletedTask;
        }

        return _used == 0 ? inner.FlushAsync(cancellationToken) : FlushGatheredAsync(cancellationToken);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => inner.Read(buffer);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return inner.DisposeAsync();
    }

    /// <summary>Writes the gathered bytes (one Kestrel write); the buffer is free again once it completes.</summary>
    private ValueTask WriteGathered(CancellationToken cancellationToken)
    {
        Writes++;
        var write = inner.WriteAsync(_buffer.AsMemory(0, _used), cancellationToken);
        if (write.IsCompletedSuccessfully)
        {
            _used = 0;
            return default;
        }

        return AwaitGathered(write);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitGathered(ValueTask write)
    {
        await write.ConfigureAwait(false);
        _used = 0;
    }

    /// <summary>The buffer cannot take <paramref name="buffer"/>: sends what is gathered, then handles it again.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteGatheredThenAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_used > 0)
        {
            await WriteGathered(cancellationToken).ConfigureAwait(false);
        }

        if (buffer.Length > _buffer.Length)
        {
            Writes++;
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }

        await WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    private async Task FlushGatheredAsync(CancellationToken cancellationToken)
    {
        await WriteGathered(cancellationToken).ConfigureAwait(false);
        await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void FlushGathered()
    {
        if (_used > 0)
        {
            Writes++;
            inner.Write(_buffer.AsSpan(0, _used));
            _used = 0;
        }
    }
}
