using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Protocol.Tests.Tunnel;

/// <summary>
/// Frames grown past the largest size their type allows, with a body length field that agrees with the bytes given
/// (so the framing alone lets them through): every typed reader refuses them as <see cref="TunnelFrameError.WrongLength"/>
/// (a batch as <see cref="TunnelFrameError.BadBatch"/>), and a length field beyond the reader's maximum is refused as
/// <see cref="FrameStatus.TooLarge"/> whatever its value.
/// </summary>
public class TunnelFrameOversizeTests
{
    private const int MaxRawLength = 1000;

    /// <summary>Every sample but the batches, with the length of the largest frame of its type.</summary>
    public static TheoryData<int> Samples => [.. Enumerable.Range(0, TunnelFrameSamples.All().Length)
        .Where(i => TunnelFrameSamples.All()[i][4] != (byte)TunnelFrameType.Batch)];

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_frame_one_to_sixteen_bytes_above_its_types_largest_is_the_wrong_length(int index)
    {
        byte[] sample = TunnelFrameSamples.All()[index];
        int largest = (TunnelFrameType)sample[4] switch
        {
            TunnelFrameType.Error => TunnelErrorFrame.MinLength + TunnelErrorFrame.MaxTextLength,
            TunnelFrameType.Open => TunnelOpenFrame.MaxLength,
            TunnelFrameType.Data => TunnelDataFrame.HeaderLength + TunnelDataFrame.MaxDatagramLength,
            _ => sample.Length,
        };

        for (int extra = 1; extra <= 16; extra++)
        {
            byte[] grown = Grow(sample, largest + extra);
            TunnelFrameError error = TunnelFramesTests.ReadAny(grown, out _);
            Assert.True(error == TunnelFrameError.WrongLength, $"{(TunnelFrameType)sample[4]} of {grown.Length} bytes: {error}");
        }
    }

    [Fact]
    public void A_batch_above_the_raw_maximum_is_refused_compressed_or_not()
    {
        byte[] plain = TunnelFrameSamples.Batch((2, MaxRawLength - TunnelBatchRecords.RecordHeaderLength));
        Assert.Equal(TunnelFrameError.None, TunnelBatchFrame.TryRead(plain, MaxRawLength, out _));

        byte[] over = TunnelFrameSamples.Batch((2, MaxRawLength - TunnelBatchRecords.RecordHeaderLength + 1));
        Assert.Equal(TunnelFrameError.BadBatch, TunnelBatchFrame.TryRead(over, MaxRawLength, out TunnelBatchFrame refused));
        Assert.True(refused.Content.IsEmpty);

        foreach (uint raw in new uint[] { MaxRawLength + 1, int.MaxValue, uint.MaxValue })
        {
            byte[] compressed = TunnelFrameSamples.CompressedBatch(100, 5);
            BinaryPrimitives.WriteUInt32BigEndian(compressed.AsSpan(8), raw);
            Assert.Equal(TunnelFrameError.BadBatch, TunnelBatchFrame.TryRead(compressed, MaxRawLength, out _));
        }
    }

    [Theory]
    [InlineData(101u)]
    [InlineData(65_536u)]
    [InlineData(int.MaxValue)]
    [InlineData(uint.MaxValue - 7)]
    [InlineData(uint.MaxValue)]
    public void A_length_field_above_the_maximum_is_too_large_whatever_follows(uint bodyLength)
    {
        var reader = new TunnelFrameReader(100);
        byte[] bytes = new byte[200];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, bodyLength);
        bytes[4] = (byte)TunnelFrameType.Data;
        ReadOnlySpan<byte> span = bytes;

        Assert.Equal(FrameStatus.TooLarge, reader.TryReadFrame(ref span, out ReadOnlySpan<byte> frame, out TunnelFrameHeader header));
        Assert.Equal(bodyLength, header.BodyLength);
        Assert.Equal((long)bodyLength + 8, header.FrameLength); // no overflow of the length arithmetic
        Assert.True(frame.IsEmpty);
        Assert.Equal(bytes.Length, span.Length);
    }

    /// <summary>The sample padded to <paramref name="length"/> bytes (printable padding, as ERROR text must be) with its length field updated.</summary>
    private static byte[] Grow(byte[] sample, int length)
    {
        byte[] grown = new byte[length];
        sample.CopyTo(grown, 0);
        grown.AsSpan(sample.Length).Fill((byte)'a');
        BinaryPrimitives.WriteUInt32BigEndian(grown, (uint)(length - TunnelFrameHeader.Length));
        return grown;
    }
}
