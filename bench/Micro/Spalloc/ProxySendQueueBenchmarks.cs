using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Bench.Protocol;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Relay.Spalloc.Server.Internal;

namespace FastSpinnRelay.Bench.Spalloc;

/// <summary>
/// The per-datagram path of <c>relay spalloc serve</c> from a board to a websocket, without sockets: each board
/// datagram becomes a MSG frame in the websocket's bounded send queue (header + copy, under the queue's lock), and
/// the sender takes the queue as one batch. Per operation: one datagram (64 per invocation, as one UDP batch).
/// Allocated must be 0 B: nothing is allocated per forwarded datagram once the batches have grown.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class ProxySendQueueBenchmarks
{
    private const int Batch = 64;
    private const int ScpReplyLength = 270;
    private const int SpikeLength = 258;

    private readonly byte[] _scpReply = new byte[ScpReplyLength];
    private readonly byte[] _spike = new byte[SpikeLength];
    private ProxySendQueue _queue = null!;
    private ProxySendQueue _full = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(7).NextBytes(_scpReply);
        _scpReply[0] = _scpReply[1] = 0;          // SDP pad: a kept frame
        new Random(8).NextBytes(_spike);
        _spike[0] = 64;                           // EIEIO: a droppable frame
        _queue = new ProxySendQueue(1 << 20, new SpallocProxyCounters());

        // A queue at its limit with live output, as under a slow client: every append drops the oldest.
        _full = new ProxySendQueue(64 << 10, new SpallocProxyCounters());
        while (_full.TryAppendMessage(1, _spike, droppable: true) == QueueResult.Queued && _full.DroppedLive == 0)
        {
        }

        // Verify what the benchmarks measure before measuring it (and warm both batches to their working size).
        SetupCheck.That(ForwardScpReplies() == Batch * (8 + ScpReplyLength));
        SetupCheck.That(ForwardScpReplies() == Batch * (8 + ScpReplyLength));
        var dropped = _full.DroppedLive;
        SetupCheck.That(ForwardLiveOutputUnderPressure() == Batch && _full.DroppedLive > dropped);
    }

    /// <summary>A batch of SCP replies queued as MSG frames, then taken by the sender and handed back.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int ForwardScpReplies()
    {
        for (var i = 0; i < Batch; i++)
        {
            _queue.TryAppendMessage(17, _scpReply, droppable: false);
        }

        var batch = _queue.TryTake()!;
        var bytes = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            bytes += batch.Frame(i).Length;
        }

        _queue.Return(batch);
        return bytes;
    }

    /// <summary>Live output into a full queue: the oldest live frames are dropped (in chunks) to make room.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int ForwardLiveOutputUnderPressure()
    {
        var queued = 0;
        for (var i = 0; i < Batch; i++)
        {
            if (_full.TryAppendMessage(18, _spike, droppable: true) == QueueResult.Queued)
            {
                queued++;
            }
        }

        return queued;
    }
}
