using System.Buffers;
using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Framing;

/// <summary>
/// 100,000 seeded byte streams (random, and mutated valid streams) read with both overloads, the sequence one over a
/// random segmentation and a small random maximum. Every step must follow the three-outcome contract exactly.
/// </summary>
public class FramingFuzzTests
{
    [Fact]
    public void Both_overloads_follow_the_contract_on_any_bytes()
    {
        var rng = new Random(8);
        byte[][] corpus = [.. Enumerable.Range(0, 16).Select(i => FrameStreams.Make(seed: 500 + i, count: 1 + (i % 4), maxLength: 12).Stream)];
        var readers = new[] { new LengthPrefixedFrameReader(1), new LengthPrefixedFrameReader(8), LengthPrefixedFrameReader.Default };
        int frames = 0;

        FuzzInputs.Run(seed: 9, corpus, maxRandomLength: 48, input =>
        {
            byte[] bytes = input.ToArray();
            LengthPrefixedFrameReader reader = readers[rng.Next(readers.Length)];
            ReadOnlySequence<byte> sequence = bytes.Length == 0 ? default : Segments.Over(bytes, 0, bytes.Length, FrameStreams.RandomCuts(rng, bytes.Length, maxGap: 5));
            ReadOnlySpan<byte> span = bytes;

            for (int step = 0; step <= bytes.Length / LengthPrefixedFrameReader.HeaderLength; step++)
            {
                long before = sequence.Length;
                int offset = bytes.Length - span.Length;
                FrameStatus status = reader.TryReadFrame(ref sequence, out ReadOnlySequence<byte> frame, out long announced);

                Assert.Equal(status, reader.TryReadFrame(ref span, out ReadOnlySpan<byte> spanFrame, out long spanAnnounced));
                Assert.Equal(announced, spanAnnounced);
                Assert.Equal(Model(bytes.AsSpan(offset), reader.MaxFrameLength), (status, announced));
                if (status != FrameStatus.Done)
                {
                    Assert.Equal(before, sequence.Length);
                    Assert.Equal(before, span.Length);
                    Assert.True(frame.IsEmpty && spanFrame.IsEmpty);
                    return;
                }

                frames++;
                Assert.Equal(announced, frame.Length);
                Assert.Equal(before - LengthPrefixedFrameReader.HeaderLength - announced, sequence.Length);
                Assert.True(spanFrame.SequenceEqual(frame.ToArray()));
                Assert.True(spanFrame.SequenceEqual(bytes.AsSpan(offset + 4, (int)announced)));
            }

            Assert.Fail("Every Done consumes at least 4 bytes, so the loop must end with NeedMoreData or TooLarge.");
        });

        Assert.InRange(frames, 10_000, int.MaxValue);
    }

    /// <summary>§8 written out independently: 4-byte big-endian length, then that many bytes.</summary>
    private static (FrameStatus, long) Model(ReadOnlySpan<byte> rest, int max)
    {
        if (rest.Length < 4)
        {
            return (FrameStatus.NeedMoreData, -1);
        }

        long length = BinaryPrimitives.ReadUInt32BigEndian(rest);
        return (length > max ? FrameStatus.TooLarge : rest.Length - 4 < length ? FrameStatus.NeedMoreData : FrameStatus.Done, length);
    }
}
