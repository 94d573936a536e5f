using System.Runtime.CompilerServices;

namespace FastSpinnRelay.Tunnel.Transport.Internal;

/// <summary>
/// Reads the stream beneath an SslStream in large pieces and hands them out as the SslStream asks. SslStream reads its
/// socket in pieces of at most one TLS record (16 KiB and a header), each after a zero-byte read that is a syscall of
/// its own (a one-byte peek), so a tunnel carrying 10 KiB records costs two or three receive syscalls per record.
/// Here one receive takes whatever the kernel holds, up to the buffer, and the SslStream's reads and zero-byte
/// reads are answered from memory while it lasts. Writes pass straight through. Reading allocates nothing.
/// </summary>
internal sealed class ReadAheadStream : Stream
{
    /// <summary>Bytes one receive may take: four full TLS records.</summary>
    internal const int DefaultBufferBytes = 64 * 1024;

    private readonly Stream _inner;
    private readonly byte[] _buffer;
    private int _start;
    private int _count;

    /// <param name="inner">The stream read from and written to (a NetworkStream); disposed with this one.</param>
    /// <param name="bufferBytes">Largest piece read from <paramref name="inner"/> at once.</param>
    public ReadAheadStream(Stream inner, int bufferBytes = DefaultBufferBytes)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 1);
        _inner = inner;
        _buffer = GC.AllocateUninitializedArray<byte>(bufferBytes);
    }

    /// <summary>Bytes read from the inner stream and not yet handed out.</summary>
    internal int Buffered => _count;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_count > 0)
        {
            return new ValueTask<int>(Take(buffer.Span));
        }

        if (buffer.Length == 0 || buffer.Length >= _buffer.Length)
        {
            return _inner.ReadAsync(buffer, cancellationToken); // a zero-byte wait, or a read as large as ours
        }

        ValueTask<int> fill = _inner.ReadAsync(_buffer, cancellationToken);
        if (fill.IsCompletedSuccessfully)
        {
            _start = 0;
            _count = fill.Result;
            return new ValueTask<int>(Take(buffer.Span));
        }

        return FillThenTakeAsync(fill, buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        if (_count == 0 && buffer.Length > 0)
        {
            if (buffer.Length >= _buffer.Length)
            {
                return _inner.Read(buffer);
            }

            _start = 0;
            _count = _inner.Read(_buffer);
        }

        return Take(buffer);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(ReadOnlySpan<byte> buffer) => _inner.Write(buffer);

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override void Flush() => _inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override ValueTask DisposeAsync() => _inner.DisposeAsync();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> FillThenTakeAsync(ValueTask<int> fill, Memory<byte> buffer)
    {
        int read = await fill.ConfigureAwait(false);
        _start = 0;
        _count = read;
        return Take(buffer.Span);
    }

    /// <summary>Hands out what is buffered, as much as <paramref name="destination"/> holds (0 at the end of the stream).</summary>
    private int Take(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _count);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        _count -= n;
        return n;
    }
}
