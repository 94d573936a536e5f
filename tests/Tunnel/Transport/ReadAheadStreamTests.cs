using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Transport.Internal;

namespace FastSpinnRelay.Tunnel.Tests.TransportStreams;

/// <summary>The read-ahead beneath SslStream: one inner read feeds many small ones, and nothing is lost or reordered.</summary>
public class ReadAheadStreamTests
{
    [Fact]
    public async Task Small_reads_are_served_from_one_inner_read()
    {
        byte[] data = Pattern(10_000);
        var inner = new ScriptedStream(data);
        await using var stream = new ReadAheadStream(inner, bufferBytes: 16 * 1024);

        byte[] got = new byte[data.Length];
        for (int offset = 0; offset < got.Length; offset += 100)
        {
            Assert.Equal(100, await stream.ReadAsync(got.AsMemory(offset, 100)));
        }

        Assert.Equal(data, got);
        Assert.Equal(1, inner.Reads);
    }

    [Fact]
    public async Task A_zero_byte_read_returns_at_once_while_bytes_are_buffered_and_waits_on_the_inner_stream_otherwise()
    {
        var inner = new ScriptedStream(Pattern(300));
        await using var stream = new ReadAheadStream(inner, bufferBytes: 1024);

        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        Assert.Equal(1, inner.ZeroByteReads);
        Assert.Equal(10, await stream.ReadAsync(new byte[10]));
        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        Assert.Equal(1, inner.ZeroByteReads); // answered from the 290 bytes still buffered
        Assert.Equal(290, stream.Buffered);
    }

    [Fact]
    public async Task A_read_at_least_as_large_as_the_buffer_goes_straight_to_the_inner_stream()
    {
        byte[] data = Pattern(5000);
        var inner = new ScriptedStream(data);
        await using var stream = new ReadAheadStream(inner, bufferBytes: 1024);

        byte[] got = new byte[4096];
        Assert.Equal(4096, await stream.ReadAsync(got));
        Assert.Equal(data.AsSpan(0, 4096).ToArray(), got);
        Assert.Equal(0, stream.Buffered);
    }

    [Fact]
    public async Task Pieces_that_arrive_later_come_out_whole_and_in_order_then_the_end()
    {
        byte[] data = Pattern(50_000);
        var inner = new ScriptedStream(data, pieceBytes: 777, asynchronous: true);
        await using var stream = new ReadAheadStream(inner, bufferBytes: 4096);

        var got = new List<byte>();
        byte[] chunk = new byte[333];
        for (int i = 0; i < 1000; i++)
        {
            int n = await stream.ReadAsync(chunk);
            if (n == 0)
            {
                break;
            }

            got.AddRange(chunk.AsSpan(0, n).ToArray());
        }

        Assert.Equal(data, got.ToArray());
        Assert.Equal(0, await stream.ReadAsync(chunk));
    }

    [Fact]
    public void Synchronous_reads_see_the_same_bytes()
    {
        byte[] data = Pattern(3000);
        var inner = new ScriptedStream(data, pieceBytes: 1000);
        using var stream = new ReadAheadStream(inner, bufferBytes: 2048);

        byte[] got = new byte[data.Length];
        int taken = 0;
        for (int i = 0; i < 100 && taken < got.Length; i++)
        {
            taken += stream.Read(got.AsSpan(taken, Math.Min(64, got.Length - taken)));
        }

        Assert.Equal(data, got);
        Assert.Equal(0, stream.Read(new byte[10]));
    }

    [Fact]
    public async Task Writes_pass_through_unchanged()
    {
        var inner = new ScriptedStream([]);
        await using var stream = new ReadAheadStream(inner);

        stream.Write([1, 2, 3]);
        await stream.WriteAsync(new byte[] { 4, 5 }.AsMemory());

        Assert.Equal([1, 2, 3, 4, 5], inner.Written.ToArray());
    }

    [Fact]
    public void Reading_allocates_nothing()
    {
        var inner = new ScriptedStream(Pattern(1 << 20), pieceBytes: 4096);
        using var stream = new ReadAheadStream(inner, bufferBytes: 4096);
        var chunk = new Memory<byte>(new byte[100]);

        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                _ = Completed(stream.ReadAsync(Memory<byte>.Empty));
                _ = Completed(stream.ReadAsync(chunk));
            }
        });
    }

    /// <summary>The result of a read the scripted stream completed synchronously (asserted).</summary>
    private static int Completed(ValueTask<int> read)
    {
        Assert.True(read.IsCompletedSuccessfully);
        return read.Result;
    }

    private static byte[] Pattern(int length)
    {
        byte[] data = new byte[length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (byte)(i * 7 + (i >> 8));
        }

        return data;
    }

    /// <summary>Hands out its data in pieces of at most <c>pieceBytes</c>, synchronously or after a yield; counts the reads.</summary>
    private sealed class ScriptedStream(byte[] data, int pieceBytes = int.MaxValue, bool asynchronous = false) : Stream
    {
        private int _position;

        public int Reads { get; private set; }

        public int ZeroByteReads { get; private set; }

        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0)
            {
                ZeroByteReads++;
                return ValueTask.FromResult(0);
            }

            int n = Read(buffer.Span);
            return asynchronous ? Later(n) : ValueTask.FromResult(n);
        }

        public override int Read(Span<byte> buffer)
        {
            Reads++;
            int n = Math.Min(Math.Min(buffer.Length, pieceBytes), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => Written.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Written.Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private static async ValueTask<int> Later(int n)
        {
            await Task.Yield();
            return n;
        }
    }
}
