using System.Buffers;

namespace FastSpinnRelay.Protocol.Tests.TestSupport;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s over a byte array, as a PipeReader hands them out.</summary>
internal static class Segments
{
    /// <summary>
    /// The bytes <c>data[start..end)</c> as a sequence cut at every boundary in <paramref name="cuts"/> (absolute offsets
    /// into <paramref name="data"/>, ascending) that falls strictly inside the range.
    /// </summary>
    public static ReadOnlySequence<byte> Over(byte[] data, int start, int end, IReadOnlyList<int> cuts)
    {
        Segment? first = null;
        Segment? last = null;
        int from = start;
        foreach (int cut in cuts.Where(c => c > start && c < end).Append(end))
        {
            var memory = new ReadOnlyMemory<byte>(data, from, cut - from);
            last = last is null ? first = new Segment(memory, 0) : last.Append(memory);
            from = cut;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
