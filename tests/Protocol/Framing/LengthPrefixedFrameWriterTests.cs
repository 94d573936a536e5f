using System.Buffers;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Framing;

public class LengthPrefixedFrameWriterTests
{
    [Fact]
    public void Frame_is_a_big_endian_length_then_the_payload()
    {
        var buffer = new byte[8];

        Assert.True(LengthPrefixedFrameWriter.TryWrite(buffer, Hex.Bytes("AABBCC"), out int written));

        Assert.Equal(Hex.Bytes("00000003 AABBCC"), buffer.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void Empty_datagram_is_a_zero_length()
    {
        var buffer = new byte[4];

        Assert.True(LengthPrefixedFrameWriter.TryWrite(buffer, [], out int written));

        Assert.Equal(Hex.Bytes("00000000"), buffer.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void Short_destination_is_reported_without_writing_a_length()
    {
        Assert.False(LengthPrefixedFrameWriter.TryWrite(new byte[6], Hex.Bytes("AABBCC"), out int written));
        Assert.Equal(0, written);
        Assert.False(LengthPrefixedFrameWriter.TryWriteHeader(new byte[3], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LengthPrefixedFrameWriter.TryWriteHeader(new byte[4], -1));
    }

    [Fact]
    public void Header_only_and_buffer_writer_forms_write_the_same_bytes()
    {
        byte[] payload = Hex.Bytes("0102030405");
        var inPlace = new byte[9];
        Assert.True(LengthPrefixedFrameWriter.TryWriteHeader(inPlace, payload.Length));
        payload.CopyTo(inPlace, 4);
        var writer = new ArrayBufferWriter<byte>();

        LengthPrefixedFrameWriter.Write(writer, payload);

        Assert.Equal(inPlace, writer.WrittenSpan.ToArray());
        Assert.Equal(Hex.Bytes("00000005 0102030405"), inPlace);
    }
}
