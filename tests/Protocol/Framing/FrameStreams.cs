using System.Buffers;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Framing;

/// <summary>Seeded streams of length-prefixed frames, and the read loops a connection would run over them.</summary>
internal static class FrameStreams
{
    /// <summary>Random payloads (including empty ones) and their encoding as one stream.</summary>
    public static (byte[][] Frames, byte[] Stream) Make(int seed, int count, int maxLength)
    {
        var rng = new Random(seed);
        var frames = new byte[count][];
        var writer = new ArrayBufferWriter<byte>();
        for (int i = 0; i < count; i++)
        {
            frames[i] = new byte[rng.Next(4) == 0 ? rng.Next(3) : rng.Next(maxLength + 1)];
            rng.NextBytes(frames[i]);
            LengthPrefixedFrameWriter.Write(writer, frames[i]);
        }

        return (frames, writer.WrittenSpan.ToArray());
    }

    /// <summary>Ascending offsets in (0, length), at most <paramref name="maxGap"/> apart.</summary>
    public static int[] RandomCuts(Random rng, int length, int maxGap)
    {
        var cuts = new List<int>();
        for (int at = rng.Next(1, maxGap + 1); at < length; at += rng.Next(1, maxGap + 1))
        {
            cuts.Add(at);
        }

        return [.. cuts];
    }

    /// <summary>
    /// Reads <paramref name="stream"/> as a pipe would present it: after each arrival the unconsumed bytes up to that
    /// offset, as segments cut at <paramref name="cuts"/>; frames are sliced until NeedMoreData, then the next arrival.
    /// </summary>
    public static byte[][] ReadAsArriving(LengthPrefixedFrameReader reader, byte[] stream, IReadOnlyList<int> arrivals, IReadOnlyList<int> cuts)
    {
        var frames = new List<byte[]>();
        int consumed = 0;
        foreach (int available in arrivals)
        {
            ReadOnlySequence<byte> buffer = available > consumed ? Segments.Over(stream, consumed, available, cuts) : ReadOnlySequence<byte>.Empty;
            long before = buffer.Length;
            FrameStatus status;
            while ((status = reader.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame)) == FrameStatus.Done)
            {
                frames.Add(frame.ToArray());
            }

            Assert.Equal(FrameStatus.NeedMoreData, status);
            consumed += (int)(before - buffer.Length);
        }

        Assert.Equal(stream.Length, consumed);
        return [.. frames];
    }

    /// <summary>Reads a whole coalesced stream with the span overload.</summary>
    public static byte[][] ReadSpans(LengthPrefixedFrameReader reader, byte[] stream)
    {
        var frames = new List<byte[]>();
        ReadOnlySpan<byte> buffer = stream;
        while (reader.TryReadFrame(ref buffer, out ReadOnlySpan<byte> frame) == FrameStatus.Done)
        {
            frames.Add(frame.ToArray());
        }

        Assert.Equal(0, buffer.Length);
        return [.. frames];
    }
}
