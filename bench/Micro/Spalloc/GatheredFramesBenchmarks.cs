using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Bench.Protocol;
using FastSpinnRelay.Relay.Spalloc.Internal;

namespace FastSpinnRelay.Bench.Spalloc;

/// <summary>
/// A batch of proxy frames written by a websocket (server side, as <c>relay spalloc serve</c>; the client masks, same
/// path otherwise) over a <see cref="GatheringStream"/>, to a stream that discards: one by one (each frame its own write
/// and flush, as before) and gathered (every frame but the batch's last copied into one buffer, the last writing them
/// all). Per operation: one frame of a 24-byte EIEIO datagram (MSG header + payload, 64 per invocation). Without the
/// connection's own cost this shows what gathering adds (a copy) rather than what it saves (a write and flush of
/// Kestrel or the HTTP connection per frame). Allocated must be 0 B.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class GatheredFramesBenchmarks
{
    private const int Batch = 64;

    private readonly byte[] _frame = new byte[8 + 24];
    private readonly CountingStream _wire = new();
    private GatheringStream _stream = null!;
    private WebSocket _ws = null!;

    [GlobalSetup]
    public void Setup()
    {
        _stream = new GatheringStream(_wire);
        _ws = WebSocket.CreateFromStream(_stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        SetupCheck.That(OneByOne() == Batch);
        SetupCheck.That(Gathered() == 1);
    }

    [GlobalCleanup]
    public void Cleanup() => _ws.Dispose();

    /// <summary>Every frame written and flushed on its own; returns the writes that reached the wire.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int OneByOne()
    {
        _wire.Writes = 0;
        for (var i = 0; i < Batch; i++)
        {
            Send();
        }

        return _wire.Writes;
    }

    /// <summary>The batch gathered: one write reaches the wire.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int Gathered()
    {
        _wire.Writes = 0;
        for (var i = 0; i < Batch; i++)
        {
            _stream.Gathering = i != Batch - 1;
            Send();
        }

        return _wire.Writes;
    }

    private void Send()
    {
        var send = _ws.SendAsync(_frame, WebSocketMessageType.Binary, endOfMessage: true, CancellationToken.None);
        SetupCheck.That(send.IsCompletedSuccessfully);
        send.GetAwaiter().GetResult();
    }

    /// <summary>Discards what is written, counting the writes.</summary>
    private sealed class CountingStream : Stream
    {
        public int Writes { get; set; }

        public override bool CanRead => true; // a websocket needs a readable stream; nothing is read here

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => 0;

        public override long Position
        {
            get => 0;
            set { }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            return default;
        }

        public override void Write(byte[] buffer, int offset, int count) => Writes++;

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => 0;

        public override long Seek(long offset, SeekOrigin origin) => 0;

        public override void SetLength(long value)
        {
        }
    }
}
