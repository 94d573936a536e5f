using System.Buffers;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Framing;

public class LengthPrefixedFrameReaderTests
{
    private static readonly LengthPrefixedFrameReader Reader = LengthPrefixedFrameReader.Default;

    [Fact]
    public void Length_prefix_is_big_endian()
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("00000003 AABBCC 00000001"));

        Assert.Equal(FrameStatus.Done, Reader.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame, out long announced));

        Assert.Equal(3, announced);
        Assert.Equal(Hex.Bytes("AABBCC"), frame.ToArray());
        Assert.Equal(Hex.Bytes("00000001"), buffer.ToArray());
    }

    [Fact]
    public void Zero_length_frame_is_an_empty_datagram()
    {
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("00000000 00000000"));

        Assert.Equal(FrameStatus.Done, Reader.TryReadFrame(ref buffer, out ReadOnlySequence<byte> first));
        Assert.Equal(FrameStatus.Done, Reader.TryReadFrame(ref buffer, out ReadOnlySequence<byte> second));

        Assert.True(first.IsEmpty);
        Assert.True(second.IsEmpty);
        Assert.True(buffer.IsEmpty);
        Assert.Equal(FrameStatus.NeedMoreData, Reader.TryReadFrame(ref buffer, out _));
    }

    [Fact]
    public void Every_truncated_prefix_needs_more_data_and_consumes_nothing()
    {
        byte[] bytes = Hex.Bytes("00000005 0102030405");
        for (int length = 0; length < bytes.Length; length++)
        {
            // As a sequence cut after every byte (the worst case for reading the prefix), and as a span.
            var buffer = Segments.Over(bytes, 0, length, [.. Enumerable.Range(1, bytes.Length)]);
            SequencePosition start = buffer.Start;
            ReadOnlySpan<byte> span = bytes.AsSpan(0, length);

            Assert.Equal(FrameStatus.NeedMoreData, Reader.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame, out long announced));
            Assert.Equal(FrameStatus.NeedMoreData, Reader.TryReadFrame(ref span, out ReadOnlySpan<byte> spanFrame, out long spanAnnounced));

            Assert.Equal(length < 4 ? -1 : 5, announced);
            Assert.Equal(announced, spanAnnounced);
            Assert.Equal(start, buffer.Start);
            Assert.Equal(length, buffer.Length);
            Assert.Equal(length, span.Length);
            Assert.True(frame.IsEmpty);
            Assert.True(spanFrame.IsEmpty);
        }
    }

    [Fact]
    public void Too_large_is_reported_as_soon_as_the_prefix_arrives()
    {
        var reader = new LengthPrefixedFrameReader(maxFrameLength: 10);
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("0000000B"));    // 11 announced, no payload yet
        ReadOnlySpan<byte> span = Hex.Bytes("FFFFFFFF 00");

        Assert.Equal(FrameStatus.TooLarge, reader.TryReadFrame(ref buffer, out _, out long announced));
        Assert.Equal(FrameStatus.TooLarge, reader.TryReadFrame(ref span, out _, out long spanAnnounced));

        Assert.Equal(11, announced);
        Assert.Equal(uint.MaxValue, spanAnnounced);
        Assert.Equal(4, buffer.Length);
        Assert.Equal(5, span.Length);
    }

    [Fact]
    public void A_frame_of_exactly_the_maximum_is_accepted()
    {
        var reader = new LengthPrefixedFrameReader(maxFrameLength: 10);
        var bytes = new byte[14];
        Assert.True(LengthPrefixedFrameWriter.TryWriteHeader(bytes, 10));
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Equal(FrameStatus.Done, reader.TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame));
        Assert.Equal(10, frame.Length);
    }

    [Fact]
    public void Default_maximum_is_64_KiB_and_must_be_positive()
    {
        Assert.Equal(65536, LengthPrefixedFrameReader.Default.MaxFrameLength);
        Assert.Equal(65536, new LengthPrefixedFrameReader().MaxFrameLength);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LengthPrefixedFrameReader(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LengthPrefixedFrameReader(-1));

        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("00010001"));
        Assert.Equal(FrameStatus.TooLarge, LengthPrefixedFrameReader.Default.TryReadFrame(ref buffer, out _, out long announced));
        Assert.Equal(65537, announced);
    }

    [Fact]
    public void Stream_split_at_every_point_yields_the_same_frames()
    {
        (byte[][] frames, byte[] stream) = FrameStreams.Make(seed: 1, count: 40, maxLength: 120);

        for (int split = 0; split <= stream.Length; split++)
        {
            Assert.Equal(frames, FrameStreams.ReadAsArriving(Reader, stream, arrivals: [split, stream.Length], cuts: [split]));
        }
    }

    [Fact]
    public void Stream_arriving_one_byte_at_a_time_yields_the_same_frames()
    {
        (byte[][] frames, byte[] stream) = FrameStreams.Make(seed: 2, count: 60, maxLength: 300);
        int[] everyByte = [.. Enumerable.Range(1, stream.Length)];

        Assert.Equal(frames, FrameStreams.ReadAsArriving(Reader, stream, arrivals: everyByte, cuts: everyByte));
    }

    [Fact]
    public void Coalesced_stream_in_many_tiny_segments_yields_the_same_frames()
    {
        var rng = new Random(3);
        for (int round = 0; round < 200; round++)
        {
            (byte[][] frames, byte[] stream) = FrameStreams.Make(seed: 100 + round, count: rng.Next(1, 30), maxLength: 600);
            int[] cuts = FrameStreams.RandomCuts(rng, stream.Length, maxGap: 7);
            int[] arrivals = [.. FrameStreams.RandomCuts(rng, stream.Length, maxGap: 900), stream.Length];

            Assert.Equal(frames, FrameStreams.ReadAsArriving(Reader, stream, arrivals: [stream.Length], cuts: cuts));
            Assert.Equal(frames, FrameStreams.ReadAsArriving(Reader, stream, arrivals, cuts));
            Assert.Equal(frames, FrameStreams.ReadSpans(Reader, stream));
        }
    }

    [Fact]
    public void Too_large_in_the_middle_of_a_stream_stops_there()
    {
        var reader = new LengthPrefixedFrameReader(maxFrameLength: 8);
        var buffer = new ReadOnlySequence<byte>(Hex.Bytes("00000001 AA  00000009 0102"));

        Assert.Equal(FrameStatus.Done, reader.TryReadFrame(ref buffer, out _));
        Assert.Equal(FrameStatus.TooLarge, reader.TryReadFrame(ref buffer, out _, out long announced));

        Assert.Equal(9, announced);
        Assert.Equal(6, buffer.Length);
    }
}
