using System.Buffers;
using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Protocol.Framing;

namespace FastSpinnRelay.Bench.Protocol;

/// <summary>
/// spinnaker_proxy length-prefixed framing: slice every frame out of a buffer of 1,000 coalesced frames (18 to 300
/// bytes, like SCP and boot traffic) held as one array, as one span, and as 4 KiB segments (the Python side's read
/// size) so most frames straddle nothing but some straddle a segment edge. Times are per frame. Allocated must be 0 B.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class StreamFramingBenchmarks
{
    private const int FrameCount = 1000;
    private const int SegmentSize = 4096;

    private readonly LengthPrefixedFrameReader _reader = LengthPrefixedFrameReader.Default;
    private byte[] _stream = [];
    private ReadOnlySequence<byte> _segmented;
    private long _payloadBytes;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        var writer = new ArrayBufferWriter<byte>();
        for (int i = 0; i < FrameCount; i++)
        {
            var payload = new byte[rng.Next(18, 301)];
            rng.NextBytes(payload);
            LengthPrefixedFrameWriter.Write(writer, payload);
            _payloadBytes += payload.Length;
        }

        _stream = writer.WrittenSpan.ToArray();
        _segmented = BenchSegment.Split(_stream, SegmentSize);

        // Verify what the benchmarks measure before measuring it.
        SetupCheck.That(!_segmented.IsSingleSegment);
        SetupCheck.That(SliceContiguousSequence() == _payloadBytes);
        SetupCheck.That(SliceSpan() == _payloadBytes);
        SetupCheck.That(SliceSegmentedSequence() == _payloadBytes);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = FrameCount)]
    public long SliceSpan()
    {
        ReadOnlySpan<byte> buffer = _stream;
        long total = 0;
        while (_reader.TryReadFrame(ref buffer, out ReadOnlySpan<byte> frame) == FrameStatus.Done)
        {
            total += frame.Length;
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = FrameCount)]
    public long SliceContiguousSequence() => SliceAll(new ReadOnlySequence<byte>(_stream));

    [Benchmark(OperationsPerInvoke = FrameCount)]
    public long SliceSegmentedSequence() => SliceAll(_segmented);

    private long SliceAll(ReadOnlySequence<byte> buffer)
    {
        long total = 0;
        while (_reader.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame) == FrameStatus.Done)
        {
            total += frame.Length;
        }

        return total;
    }

    /// <summary>A segment of a multi-segment sequence, as a PipeReader would hand out.</summary>
    private sealed class BenchSegment : ReadOnlySequenceSegment<byte>
    {
        private BenchSegment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Split(byte[] data, int segmentSize)
        {
            var first = new BenchSegment(data.AsMemory(0, Math.Min(segmentSize, data.Length)), 0);
            BenchSegment last = first;
            for (int offset = segmentSize; offset < data.Length; offset += segmentSize)
            {
                var next = new BenchSegment(data.AsMemory(offset, Math.Min(segmentSize, data.Length - offset)), offset);
                last.Next = next;
                last = next;
            }

            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }
}
