using System.Net.WebSockets;
using FastSpinnRelay.Relay.Spalloc.Internal;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>
/// The stream under a proxy websocket that turns a batch of frames into one write: bytes and order untouched, a lone
/// frame straight through, the websocket's per-frame flush skipped only while gathering, the buffer bounded.
/// </summary>
public class GatheringStreamTests
{
    [Fact]
    public async Task A_write_with_nothing_gathered_goes_straight_through()
    {
        var inner = new RecordingStream();
        await using var stream = new GatheringStream(inner);

        await stream.WriteAsync(new byte[] { 1, 2, 3 });
        await stream.FlushAsync();

        Assert.Equal([[1, 2, 3]], inner.Writes);
        Assert.Equal(1, inner.Flushes);
        Assert.Equal(0, stream.Pending);
    }

    [Fact]
    public async Task Gathered_writes_leave_in_order_with_the_first_write_made_without_gathering()
    {
        var inner = new RecordingStream();
        await using var stream = new GatheringStream(inner) { Gathering = true };

        await stream.WriteAsync(new byte[] { 1, 2 });
        await stream.FlushAsync(); // the websocket flushes after every frame: skipped while gathering
        await stream.WriteAsync(new byte[] { 3 });
        await stream.FlushAsync();
        Assert.Empty(inner.Writes);
        Assert.Equal(0, inner.Flushes);
        Assert.Equal(3, stream.Pending);

        stream.Gathering = false;
        await stream.WriteAsync(new byte[] { 4, 5 });
        await stream.FlushAsync();

        Assert.Equal([[1, 2, 3, 4, 5]], inner.Writes);
        Assert.Equal(1, inner.Flushes);
        Assert.Equal(0, stream.Pending);
    }

    [Fact]
    public async Task A_flush_after_gathering_ends_writes_what_was_gathered()
    {
        var inner = new RecordingStream();
        await using var stream = new GatheringStream(inner) { Gathering = true };
        await stream.WriteAsync(new byte[] { 7, 8 });

        stream.Gathering = false;
        await stream.FlushAsync();

        Assert.Equal([[7, 8]], inner.Writes);
        Assert.Equal(1, inner.Flushes);
    }

    [Fact]
    public async Task A_full_buffer_is_written_before_the_next_frame_is_gathered()
    {
        var inner = new RecordingStream();
        await using var stream = new GatheringStream(inner, capacity: 10) { Gathering = true };

        await stream.WriteAsync(Bytes(6, 1));
        await stream.WriteAsync(Bytes(6, 2));

        Assert.Equal([Bytes(6, 1)], inner.Writes);
        Assert.Equal(6, stream.Pending);
    }

    [Fact]
    public async Task A_write_larger_than_the_buffer_follows_what_was_gathered()
    {
        var inner = new RecordingStream();
        await using var stream = new GatheringStream(inner, capacity: 8) { Gathering = true };

        await stream.WriteAsync(Bytes(4, 1));
        await stream.WriteAsync(Bytes(20, 2));

        Assert.Equal([Bytes(4, 1), Bytes(20, 2)], inner.Writes);
        Assert.Equal(0, stream.Pending);
    }

    [Fact]
    public async Task A_write_that_completes_later_frees_the_buffer_only_then()
    {
        var inner = new RecordingStream { Pending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        await using var stream = new GatheringStream(inner) { Gathering = true };
        await stream.WriteAsync(new byte[] { 1 });
        stream.Gathering = false;

        var write = stream.WriteAsync(new byte[] { 2 });
        Assert.False(write.IsCompleted);
        Assert.Equal(2, stream.Pending);
        inner.Pending.SetResult();
        await write;

        Assert.Equal(0, stream.Pending);
        Assert.Equal([[1, 2]], inner.Writes);
    }

    [Fact]
    public async Task Websocket_messages_gathered_in_batches_keep_their_boundaries_and_order()
    {
        // The session's pattern: every frame of a batch but the last gathered. Batches of 1 to 40 frames of 1 to 400
        // bytes (both websocket header sizes), read back by a client websocket from the bytes written.
        var random = new Random(17);
        var messages = Enumerable.Range(0, 2_000).Select(i =>
        {
            var m = new byte[random.Next(1, 401)];
            random.NextBytes(m);
            m[0] = (byte)i;
            return m;
        }).ToList();
        var wire = new MemoryStream();
        var gathering = new GatheringStream(wire, capacity: 4096);
        using (var server = WebSocket.CreateFromStream(gathering, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero }))
        {
            for (var next = 0; next < messages.Count;)
            {
                var last = Math.Min(messages.Count, next + random.Next(1, 41)) - 1;
                for (; next <= last; next++)
                {
                    gathering.Gathering = next != last;
                    await server.SendAsync(messages[next], WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
                }
            }

            Assert.Equal(0, gathering.Pending);
            Assert.True(gathering.Writes < messages.Count / 2, $"{gathering.Writes} writes for {messages.Count} frames");
            wire.Position = 0;
            using var client = WebSocket.CreateFromStream(wire, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
            var buffer = new byte[1024];
            foreach (var expected in messages)
            {
                var result = await client.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                Assert.True(result.EndOfMessage);
                Assert.Equal(WebSocketMessageType.Binary, result.MessageType);
                Assert.Equal(expected, buffer[..result.Count]);
            }

            Assert.Equal(wire.Length, wire.Position);
        }
    }

    [Fact]
    public void Gathering_and_writing_batches_allocates_nothing()
    {
        var stream = new GatheringStream(Stream.Null, capacity: 1024);
        var frame = new byte[34];
        void Batches()
        {
            for (var batch = 0; batch < 1_000; batch++)
            {
                for (var i = 0; i < 50; i++)
                {
                    stream.Gathering = i != 49;
                    var write = stream.WriteAsync(frame);
                    Assert.True(write.IsCompletedSuccessfully);
                    write.GetAwaiter().GetResult();
                    var flush = stream.FlushAsync();
                    Assert.True(flush.IsCompletedSuccessfully);
                }
            }
        }

        Batches(); // warm up
        var allocated = Enumerable.Range(0, 3).Min(_ =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Batches();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        });
        Assert.Equal(0, allocated);
    }

    private static byte[] Bytes(int length, byte value) => Enumerable.Repeat(value, length).ToArray();

    /// <summary>Records every write as one chunk and counts flushes; a write can be held until <see cref="Pending"/> completes.</summary>
    private sealed class RecordingStream : Stream
    {
        public List<byte[]> Writes { get; } = [];

        public int Flushes { get; private set; }

        public TaskCompletionSource? Pending { get; set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.ToArray());
            return Pending is { } pending ? new ValueTask(pending.Task) : default;
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flushes++;
            return Task.CompletedTask;
        }

        public override void Flush() => Flushes++;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Writes.Add(buffer.AsSpan(offset, count).ToArray());
    }
}
