using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Tunnel.Internal;

namespace FastSpinnRelay.Bench.Tunnel;

/// <summary>
/// The server's latest queue alone, as a full-rate 24-byte live-output stream uses it: trains of 64 datagrams queued
/// (the UDP loop), 16 KiB batches taken out (the send loop, MaxBatchBytes). <see cref="Overloaded"/> queues twice what
/// is taken, so every datagram queued pushes out an older one, as at full offered load. Times are per datagram queued;
/// 0 B allocated.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class LatestQueueBenchmarks
{
    private const int DatagramLength = 24;
    private const int Train = 64;
    private const int BatchBytes = 16 * 1024;
    private const int TrainsPerBatch = BatchBytes / ((4 + DatagramLength) * Train);

    private readonly LatestQueue _queue = new(256 * 1024);
    private readonly byte[] _datagram = new byte[DatagramLength];
    private readonly byte[] _batch = new byte[BatchBytes];
    private DropCount _drops;

    /// <summary>Keeps up: each batch takes what the trains before it queued.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = TrainsPerBatch * Train * 8)]
    public int KeepingUp()
    {
        int moved = 0;
        for (int batch = 0; batch < 8; batch++)
        {
            Queue(TrainsPerBatch);
            moved += _queue.Dequeue(_batch);
        }

        return moved;
    }

    /// <summary>Twice as much queued as taken: the queue stays full and drops the oldest.</summary>
    [Benchmark(OperationsPerInvoke = TrainsPerBatch * Train * 2 * 8)]
    public int Overloaded()
    {
        int moved = 0;
        for (int batch = 0; batch < 8; batch++)
        {
            Queue(TrainsPerBatch * 2);
            moved += _queue.Dequeue(_batch);
        }

        return moved;
    }

    private void Queue(int trains)
    {
        for (int i = 0; i < trains * Train; i++)
        {
            _queue.Enqueue(1, _datagram, ref _drops);
        }
    }

    private struct DropCount : IDropCounter
    {
        public long Datagrams;

        public void Dropped(ushort channel, int datagramLength) => Datagrams++;
    }
}
