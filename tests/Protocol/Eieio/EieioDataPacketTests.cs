using FastSpinnRelay.Protocol.Eieio;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Eieio;

public class EieioDataPacketTests
{
    // Type 2 (32-bit keys), count 3, no flags: byte 0 = count, byte 1 = type << 2.
    private static readonly byte[] ThreeKeysType2 = Hex.Bytes("03 08  01 00 00 00  78 56 34 12  FF FF FF FF");

    // Type 1, tag 2, P (lower half), D, T, count 2: flags byte = 0x80 | 0x20 | 0x10 | (1 << 2) | 2 = 0xB6.
    private static readonly byte[] Type1AllFlags = Hex.Bytes("02 B6  CD AB  00 01  10 00 02 00  20 30 04 00");

    [Fact]
    public void Type2_packet_with_three_keys_reads_as_written_by_hand()
    {
        Assert.Equal(EieioDataError.None, EieioDataPacket.TryRead(ThreeKeysType2, out EieioDataPacket packet));

        Assert.Equal(EieioType.Key32, packet.Type);
        Assert.Equal(3, packet.Count);
        Assert.Equal(0, packet.Tag);
        Assert.False(packet.HasKeyPrefix);
        Assert.False(packet.HasPayloadBase);
        Assert.False(packet.HasPayloads);
        Assert.Equal(0x0803, packet.HeaderValue);
        Assert.Equal(4, packet.ElementSize);
        Assert.Equal(12, packet.Elements.Length);
        Assert.Equal(1u, packet.GetKey(0));
        Assert.Equal(0x12345678u, packet.GetKey(1));
        Assert.Equal(0xFFFFFFFFu, packet.GetKey(2));
        Assert.Equal(0u, packet.GetPayload(2));
    }

    [Fact]
    public void Type2_packet_with_three_keys_is_written_byte_exact()
    {
        var buffer = new byte[64];
        Assert.True(EieioDataWriter.TryCreate(buffer, new EieioDataFormat(EieioType.Key32), out EieioDataWriter writer));
        Assert.True(writer.TryAddKey(1));
        Assert.True(writer.TryAddKey(0x12345678));
        Assert.True(writer.TryAddKey(0xFFFFFFFF));

        Assert.Equal(ThreeKeysType2, writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Lower_prefix_is_ORed_into_keys_and_payload_base_into_payloads()
    {
        Assert.Equal(EieioDataError.None, EieioDataPacket.TryRead(Type1AllFlags, out EieioDataPacket packet));

        Assert.Equal(EieioType.Key16Payload16, packet.Type);
        Assert.Equal(2, packet.Tag);
        Assert.True(packet.HasKeyPrefix);
        Assert.False(packet.PrefixInUpperHalf);
        Assert.True(packet.HasPayloadBase);
        Assert.True(packet.PayloadIsTimestamp);
        Assert.Equal(0xABCD, packet.KeyPrefix);
        Assert.Equal(0x0100u, packet.PayloadBase);
        Assert.Equal(0x0010u, packet.GetRawKey(0));
        Assert.Equal(0x0002u, packet.GetRawPayload(0));
        Assert.Equal(0xABDDu, packet.GetKey(0));           // 0x0010 | 0xABCD
        Assert.Equal(0x0102u, packet.GetPayload(0));       // 0x0002 | 0x0100
        Assert.Equal(0xBBEDu, packet.GetKey(1));           // 0x3020 | 0xABCD
        Assert.Equal(0x0104u, packet.GetPayload(1));       // 0x0004 | 0x0100
    }

    [Fact]
    public void Upper_prefix_is_shifted_into_the_high_half()
    {
        // Type 0, P + F, count 1, prefix 0x0012, key 0x3456.
        byte[] bytes = Hex.Bytes("01 C0  12 00  56 34");

        Assert.Equal(EieioDataError.None, EieioDataPacket.TryRead(bytes, out EieioDataPacket packet));

        Assert.True(packet.PrefixInUpperHalf);
        Assert.Equal(0x00123456u, packet.GetKey(0));
    }

    [Fact]
    public void Payload_base_of_a_key_only_packet_is_every_elements_payload()
    {
        // Type 2, D, count 2, base 0x00010000 (u32 for 32-bit types).
        byte[] bytes = Hex.Bytes("02 28  00 00 01 00  05 00 00 00  06 00 00 00");

        Assert.Equal(EieioDataError.None, EieioDataPacket.TryRead(bytes, out EieioDataPacket packet));

        Assert.True(packet.HasPayloads);
        Assert.Equal(0x00010000u, packet.GetPayload(0));
        Assert.Equal(0x00010000u, packet.GetPayload(1));
        Assert.Equal(6u, packet.GetKey(1));
    }

    [Theory]
    [InlineData("01 40")]       // command 1: P = 0, F = 1
    [InlineData("FF 7F")]       // command 0x3FFF
    [InlineData("00 40 00 00")] // command 0 with a body
    public void Command_headers_are_rejected(string hex) =>
        Assert.Equal(EieioDataError.CommandHeader, EieioDataPacket.TryRead(Hex.Bytes(hex), out _));

    [Fact]
    public void Prefix_with_upper_half_flag_is_data_not_a_command()
    {
        byte[] bytes = Hex.Bytes("00 C0  00 00"); // P = 1, F = 1, count 0

        Assert.Equal(EieioDataError.None, EieioDataPacket.TryRead(bytes, out EieioDataPacket packet));
        Assert.Equal(0, packet.Count);
    }

    public static TheoryData<string> ValidPackets() => new()
    {
        "03 08  01 00 00 00  78 56 34 12  FF FF FF FF",
        "02 B6  CD AB  00 01  10 00 02 00  20 30 04 00",
        "01 C0  12 00  56 34",
        "02 28  00 00 01 00  05 00 00 00  06 00 00 00",
        "01 FF  01 00  02 00 00 00  03 00 00 00 04 00 00 00", // type 3, P+F+D+T, tag 3
        "00 00",
    };

    [Theory]
    [MemberData(nameof(ValidPackets))]
    public void Every_truncated_prefix_is_malformed_with_the_right_reason(string hex)
    {
        byte[] valid = Hex.Bytes(hex);
        Assert.Equal(EieioDataError.None, EieioDataPacket.TryRead(valid, out EieioDataPacket whole));
        int fieldsLength = whole.Format.HeaderLength;

        for (int length = 0; length < valid.Length; length++)
        {
            EieioDataError expected = length < fieldsLength ? EieioDataError.TooShort : EieioDataError.MissingElements;
            Assert.Equal(expected, EieioDataPacket.TryRead(valid.AsSpan(0, length), out EieioDataPacket value));
            Assert.Equal(0, value.Packet.Length);
        }
    }

    [Theory]
    [MemberData(nameof(ValidPackets))]
    public void Trailing_bytes_are_rejected(string hex)
    {
        byte[] longer = [.. Hex.Bytes(hex), 0x00];

        Assert.Equal(EieioDataError.TrailingBytes, EieioDataPacket.TryRead(longer, out _));
    }

    [Fact]
    public void A_full_255_element_packet_reads_and_one_more_byte_is_oversize()
    {
        var buffer = new byte[2 + (255 * 8) + 1];
        Assert.True(EieioDataWriter.TryCreate(buffer, new EieioDataFormat(EieioType.Key32Payload32), out EieioDataWriter writer));
        for (uint i = 0; i < 255; i++)
        {
            Assert.True(writer.TryAdd(i, ~i));
        }

        Assert.False(writer.TryAdd(255, 0)); // the count byte is full even though the buffer has room
        Assert.Equal(2042, writer.Length);
        Assert.Equal(EieioDataError.None, EieioDataPacket.TryRead(buffer.AsSpan(0, writer.Length), out EieioDataPacket packet));
        Assert.Equal(255, packet.Count);
        Assert.Equal(~254u, packet.GetPayload(254));
        Assert.Equal(EieioDataError.TrailingBytes, EieioDataPacket.TryRead(buffer, out _));
    }

    [Fact]
    public void Element_index_out_of_range_is_a_caller_bug()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Read(ThreeKeysType2).GetKey(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Read(ThreeKeysType2).GetPayload(-1));

        static EieioDataPacket Read(byte[] bytes)
        {
            EieioDataPacket.TryRead(bytes, out EieioDataPacket packet);
            return packet;
        }
    }
}
