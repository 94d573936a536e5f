using System.Buffers;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Protocol.Tests.Framing;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Protocol.Tests.Tunnel;

public class TunnelFrameReaderTests
{
    private static readonly TunnelFrameReader Reader = TunnelFrameReader.Default;

    [Fact]
    public void Header_is_length_type_flags_channel_big_endian()
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("00000002 12 00 0102 AABB  00000000 30"));

        Assert.Equal(FrameStatus.Done, Reader.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame, out TunnelFrameHeader header));

        Assert.Equal(2u, header.BodyLength);
        Assert.Equal(TunnelFrameType.Data, header.Type);
        Assert.Equal(0x0102, header.Channel);
        Assert.Equal(10, header.FrameLength);
        Assert.Equal(Hex.Bytes("00000002 12 00 0102 AABB"), frame.ToArray());
        Assert.Equal(5, buffer.Length);
    }

    [Fact]
    public void Every_truncated_prefix_needs_more_data_and_consumes_nothing()
    {
        byte[] bytes = TunnelFrameSamples.Data(6);
        for (int length = 0; length < bytes.Length; length++)
        {
            var buffer = Segments.Over(bytes, 0, length, [.. Enumerable.Range(1, bytes.Length)]);
            SequencePosition start = buffer.Start;
            ReadOnlySpan<byte> span = bytes.AsSpan(0, length);

            Assert.Equal(FrameStatus.NeedMoreData, Reader.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame, out TunnelFrameHeader header));
            Assert.Equal(FrameStatus.NeedMoreData, Reader.TryReadFrame(ref span, out ReadOnlySpan<byte> spanFrame, out _));

            Assert.Equal(length < 8 ? 0u : 18u, header.BodyLength);
            Assert.Equal(start, buffer.Start);
            Assert.Equal(length, buffer.Length);
            Assert.Equal(length, span.Length);
            Assert.True(frame.IsEmpty && spanFrame.IsEmpty);
        }
    }

    [Fact]
    public void Oversized_body_is_refused_from_the_header_alone()
    {
        var reader = new TunnelFrameReader(100);
        // Only the 8 header bytes: the 101-byte body is refused before any of it arrives.
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("00000065 12 00 0001"));
        ReadOnlySpan<byte> span = Hex.Bytes("00000065 12 00 0001");

        Assert.Equal(FrameStatus.TooLarge, reader.TryReadFrame(ref buffer, out _, out TunnelFrameHeader header));
        Assert.Equal(FrameStatus.TooLarge, reader.TryReadFrame(ref span, out _, out _));

        Assert.Equal(101u, header.BodyLength);
        Assert.Equal(8, buffer.Length);
        Assert.Equal(8, span.Length);
    }

    [Fact]
    public void Maximum_body_is_accepted_and_the_handshake_reader_is_small()
    {
        var reader = new TunnelFrameReader(100);
        byte[] bytes = new byte[108];
        bytes[3] = 100;
        ReadOnlySpan<byte> span = bytes;

        Assert.Equal(FrameStatus.Done, reader.TryReadFrame(ref span, out ReadOnlySpan<byte> frame, out _));
        Assert.Equal(108, frame.Length);
        Assert.Equal(128, TunnelFrameReader.Handshake.MaxBodyLength);
        Assert.True(TunnelFrameSamples.Challenge().Length - 8 <= TunnelFrameReader.HandshakeMaxBodyLength);
        Assert.True(TunnelFrameSamples.Error(new string('x', 200)).Length - 8 <= TunnelFrameReader.HandshakeMaxBodyLength);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1024 * 1024 + 1)]
    public void Maximum_out_of_range_is_a_caller_bug(int max) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TunnelFrameReader(max));

    [Fact]
    public void A_stream_of_every_sample_reads_back_frame_by_frame_at_any_segmentation()
    {
        byte[][] samples = TunnelFrameSamples.All();
        byte[] stream = [.. samples.SelectMany(s => s)];
        var rng = new Random(4);
        for (int round = 0; round < 200; round++)
        {
            ReadOnlySequence<byte> buffer = Segments.Over(stream, 0, stream.Length, FrameStreams.RandomCuts(rng, stream.Length, 1 + round % 40));
            foreach (byte[] sample in samples)
            {
                Assert.Equal(FrameStatus.Done, Reader.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame, out _));
                Assert.Equal(sample, frame.ToArray());
            }

            Assert.True(buffer.IsEmpty);
        }
    }

    [Fact]
    public void Random_streams_follow_the_three_outcome_contract()
    {
        var rng = new Random(11);
        var readers = new[] { new TunnelFrameReader(1), new TunnelFrameReader(20), TunnelFrameReader.Handshake };
        int done = 0;
        FuzzInputs.Run(seed: 12, TunnelFrameSamples.All(), maxRandomLength: 64, input =>
        {
            byte[] bytes = input.ToArray();
            // Make small lengths likely so that Done happens often.
            if (bytes.Length >= 4 && rng.Next(2) == 0)
            {
                bytes[0] = bytes[1] = bytes[2] = 0;
                bytes[3] %= 40;
            }

            TunnelFrameReader reader = readers[rng.Next(readers.Length)];
            ReadOnlySequence<byte> sequence = bytes.Length == 0 ? default : Segments.Over(bytes, 0, bytes.Length, FrameStreams.RandomCuts(rng, bytes.Length, 6));
            ReadOnlySpan<byte> span = bytes;
            while (true)
            {
                long before = sequence.Length;
                FrameStatus status = reader.TryReadFrame(ref sequence, out ReadOnlySequence<byte> frame, out TunnelFrameHeader header);
                Assert.Equal(status, reader.TryReadFrame(ref span, out ReadOnlySpan<byte> spanFrame, out _));
                Assert.Equal(Model(bytes.AsSpan(bytes.Length - (int)before), reader.MaxBodyLength), status);
                if (status != FrameStatus.Done)
                {
                    Assert.Equal(before, sequence.Length);
                    Assert.Equal(before, span.Length);
                    return;
                }

                done++;
                Assert.Equal(header.FrameLength, frame.Length);
                Assert.True(spanFrame.SequenceEqual(frame.ToArray()));
                Assert.Equal(before - frame.Length, sequence.Length);
            }
        });

        Assert.InRange(done, 10_000, int.MaxValue);
    }

    private static FrameStatus Model(ReadOnlySpan<byte> rest, int max)
    {
        if (rest.Length < 8)
        {
            return FrameStatus.NeedMoreData;
        }

        long length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(rest);
        return length > max ? FrameStatus.TooLarge : rest.Length - 8 < length ? FrameStatus.NeedMoreData : FrameStatus.Done;
    }
}
