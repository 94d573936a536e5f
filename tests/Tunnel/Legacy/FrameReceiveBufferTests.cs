using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Tunnel.Legacy.Internal;

namespace FastSpinnRelay.Tunnel.Tests.Legacy;

public class FrameReceiveBufferTests
{
    [Fact]
    public void Frames_split_anywhere_come_out_whole_and_in_order()
    {
        var rng = new Random(3);
        for (var round = 0; round < 200; round++)
        {
            var frames = Enumerable.Range(0, rng.Next(1, 20)).Select(i => Bytes(rng, rng.Next(0, 1500))).ToList();
            var stream = Encode(frames);
            var buffer = new FrameReceiveBuffer(new LengthPrefixedFrameReader(2048), 64);

            var output = Feed(buffer, stream, rng, out var last, out _);

            Assert.Equal(FrameStatus.NeedMoreData, last);
            Assert.Equal(frames, output);
            Assert.Equal(0, buffer.Pending);
            Assert.True(buffer.Size <= 4 + 2048);
        }
    }

    [Fact]
    public void Grows_only_as_far_as_an_announced_frame_needs()
    {
        var buffer = new FrameReceiveBuffer(new LengthPrefixedFrameReader(65536), 64);
        var stream = Encode([new byte[1000]]);

        Feed(buffer, stream.AsSpan(0, 10).ToArray(), new Random(1), out _, out _);

        Assert.InRange(buffer.Size, 1004, 2048);
        Assert.Equal(10, buffer.Pending);
    }

    [Fact]
    public void An_oversized_length_is_reported_before_any_payload_arrives()
    {
        var buffer = new FrameReceiveBuffer(new LengthPrefixedFrameReader(100), 64);
        byte[] stream = [0, 0, 0, 2, 9, 9, 0, 0, 0, 101];

        var output = Feed(buffer, stream, new Random(1), out var last, out var announced);

        Assert.Equal(FrameStatus.TooLarge, last);
        Assert.Equal(101, announced);
        Assert.Equal([new byte[] { 9, 9 }], output);
        Assert.Equal(64, buffer.Size);
    }

    /// <summary>100,000 seeded inputs (random bytes, and valid streams with random bytes flipped), fed in random pieces.</summary>
    [Fact]
    public void Any_bytes_give_valid_outcomes_without_exceptions_or_unbounded_growth()
    {
        var rng = new Random(11);
        var reader = new LengthPrefixedFrameReader(300);
        for (var i = 0; i < 100_000; i++)
        {
            var input = i % 2 == 0 ? Bytes(rng, rng.Next(0, 64)) : Encode([.. Enumerable.Range(0, rng.Next(1, 4)).Select(_ => Bytes(rng, rng.Next(0, 300)))]);
            if (i % 2 == 1)
            {
                input[rng.Next(input.Length)] ^= (byte)(1 << rng.Next(8));
            }

            var buffer = new FrameReceiveBuffer(reader, 64);
            var output = Feed(buffer, input, rng, out var last, out var announced);

            Assert.All(output, f => Assert.InRange(f.Length, 0, 300));
            Assert.True(last == FrameStatus.NeedMoreData || (last == FrameStatus.TooLarge && announced > 300));
            Assert.InRange(buffer.Size, 64, 304);
            if (last == FrameStatus.NeedMoreData)
            {
                Assert.Equal(input.Length, output.Sum(f => f.Length + 4) + buffer.Pending);
            }
        }
    }

    private static List<byte[]> Feed(FrameReceiveBuffer buffer, byte[] stream, Random rng, out FrameStatus last, out long announced)
    {
        var output = new List<byte[]>();
        var offset = 0;
        last = FrameStatus.NeedMoreData;
        announced = -1;
        while (offset < stream.Length)
        {
            var free = buffer.FreeSpace.Span;
            Assert.False(free.IsEmpty);
            var count = Math.Min(Math.Min(free.Length, stream.Length - offset), rng.Next(1, 700));
            stream.AsSpan(offset, count).CopyTo(free);
            buffer.Advance(count);
            offset += count;
            while ((last = buffer.TryTakeFrame(out var frame, out announced)) == FrameStatus.Done)
            {
                output.Add(buffer.Payload(frame).ToArray());
            }

            if (last == FrameStatus.TooLarge)
            {
                return output;
            }

            buffer.Compact(announced);
        }

        return output;
    }

    internal static byte[] Encode(IEnumerable<byte[]> frames)
    {
        var list = frames.ToList();
        var stream = new byte[list.Sum(f => f.Length + 4)];
        var offset = 0;
        foreach (var frame in list)
        {
            BinaryPrimitives.WriteUInt32BigEndian(stream.AsSpan(offset), (uint)frame.Length);
            frame.CopyTo(stream, offset + 4);
            offset += 4 + frame.Length;
        }

        return stream;
    }

    private static byte[] Bytes(Random rng, int length)
    {
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        return bytes;
    }
}
