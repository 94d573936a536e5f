using FastSpinnRelay.Protocol.Boot;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Boot;

public class BootPacketTests
{
    // version 1 | opcode START | op1 0 | op2 0 | op3 26 (27 blocks, rig's scamp.boot): all big-endian.
    internal static readonly byte[] Start26 = Hex.Bytes("0001 00000001 00000000 00000000 0000001A");

    // BLOCK 5 with two image words 0x04030201, 0x08070605 (image bytes 01..08): op1 = (2 − 1) << 8 | 5.
    internal static readonly byte[] Block5 = Hex.Bytes("0001 00000003 00000105 00000000 00000000 04030201 08070605");

    internal static readonly byte[] End = Hex.Bytes("0001 00000005 00000001 00000000 00000000");

    [Fact]
    public void Reads_a_start_packet_with_op3_26()
    {
        Assert.Equal(BootError.None, BootPacket.TryRead(Start26, out BootPacket packet));

        Assert.Equal(BootOpcode.Start, packet.Opcode);
        Assert.Equal(0u, packet.Operand1);
        Assert.Equal(0u, packet.Operand2);
        Assert.Equal(26u, packet.Operand3);
        Assert.True(packet.WireData.IsEmpty);
    }

    [Fact]
    public void Writes_start_block_and_end_byte_for_byte()
    {
        var buffer = new byte[BootPacket.MaxLength];

        Assert.True(BootPacket.TryWrite(buffer, BootOpcode.Start, 0, 0, 26, [], out int n));
        Assert.Equal(Hex.Of(Start26), Hex.Of(buffer.AsSpan(0, n)));
        Assert.True(BootPacket.TryWrite(buffer, BootOpcode.Block, 0x105, 0, 0, Hex.Bytes("0102030405060708"), out n));
        Assert.Equal(Hex.Of(Block5), Hex.Of(buffer.AsSpan(0, n)));
        Assert.True(BootPacket.TryWrite(buffer, BootOpcode.End, 1, 0, 0, [], out n));
        Assert.Equal(Hex.Of(End), Hex.Of(buffer.AsSpan(0, n)));
    }

    [Fact]
    public void Data_words_are_byte_reversed_on_the_wire_and_restored_on_copy()
    {
        Assert.Equal(BootError.None, BootPacket.TryRead(Block5, out BootPacket packet));
        var image = new byte[8];

        Assert.Equal(8, packet.CopyImageDataTo(image));

        Assert.Equal(Hex.Bytes("0403020108070605"), packet.WireData.ToArray());
        Assert.Equal(Hex.Bytes("0102030405060708"), image);
        Assert.Throws<ArgumentException>(() => PacketCopyInto(Block5, new byte[7]));
    }

    [Fact]
    public void Round_trips_every_word_count_with_random_operands()
    {
        var random = new Random(54321);
        var buffer = new byte[BootPacket.MaxLength];
        var copy = new byte[BootPacket.MaxDataLength];
        for (int words = 0; words <= 256; words++)
        {
            var data = new byte[words * 4];
            random.NextBytes(data);
            var opcode = (BootOpcode)(uint)random.Next();
            uint op1 = (uint)random.Next(), op2 = (uint)random.Next(), op3 = (uint)random.Next();

            Assert.True(BootPacket.TryWrite(buffer, opcode, op1, op2, op3, data, out int n));
            Assert.Equal(18 + data.Length, n);
            Assert.Equal(BootError.None, BootPacket.TryRead(buffer.AsSpan(0, n), out BootPacket packet));

            Assert.Equal(opcode, packet.Opcode);
            Assert.Equal((op1, op2, op3), (packet.Operand1, packet.Operand2, packet.Operand3));
            Assert.Equal(data.Length, packet.CopyImageDataTo(copy));
            Assert.True(copy.AsSpan(0, data.Length).SequenceEqual(data));
        }
    }

    public static TheoryData<int> BlockPrefixLengths() => [.. Enumerable.Range(0, Block5.Length)];

    [Theory]
    [MemberData(nameof(BlockPrefixLengths))]
    public void Every_truncated_prefix_of_a_block_packet_has_the_right_outcome(int length)
    {
        // Cut at a word boundary, a BLOCK is still a well-formed packet: the assembler catches the word count.
        BootError expected = length < 18 ? BootError.TooShort
            : (length - 18) % 4 != 0 ? BootError.DataNotWordMultiple
            : BootError.None;

        Assert.Equal(expected, BootPacket.TryRead(Block5.AsSpan(0, length), out BootPacket packet));
        if (expected == BootError.None && length < Block5.Length)
        {
            var assembler = new BootImageAssembler();
            Assert.Equal(BootError.None, BootPacket.TryRead(Hex.Bytes("0001 00000001 00000000 00000000 00000005"), out BootPacket start));
            Assert.Equal(BootAssemblyResult.Started, assembler.Accept(start));
            Assert.Equal(BootAssemblyResult.WrongWordCount, assembler.Accept(packet));
        }
        else if (expected != BootError.None)
        {
            Assert.True(packet.WireData.IsEmpty);
        }
    }

    [Fact]
    public void Every_truncated_prefix_of_start_and_end_is_too_short()
    {
        for (int length = 0; length < 18; length++)
        {
            Assert.Equal(BootError.TooShort, BootPacket.TryRead(Start26.AsSpan(0, length), out _));
            Assert.Equal(BootError.TooShort, BootPacket.TryRead(End.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void Accepts_1042_bytes_and_rejects_1043()
    {
        var packet = new byte[BootPacket.MaxLength + 1];
        packet[1] = 1;

        Assert.Equal(BootError.None, BootPacket.TryRead(packet.AsSpan(0, 1042), out BootPacket full));
        Assert.Equal(1024, full.WireData.Length);
        Assert.Equal(BootError.TooLong, BootPacket.TryRead(packet, out _));
    }

    [Theory]
    [InlineData("0000")]
    [InlineData("0002")]
    [InlineData("0100")]
    [InlineData("FFFF")]
    public void Rejects_any_version_but_1(string version)
    {
        byte[] packet = (byte[])Start26.Clone();
        Hex.Bytes(version).CopyTo(packet, 0);

        Assert.Equal(BootError.BadVersion, BootPacket.TryRead(packet, out _));
    }

    [Fact]
    public void Writer_reports_small_destinations_and_throws_for_bad_data()
    {
        for (int size = 0; size < Block5.Length; size++)
        {
            Assert.False(BootPacket.TryWrite(new byte[size], BootOpcode.Block, 0x105, 0, 0, new byte[8], out int n));
            Assert.Equal(0, n);
        }

        Assert.Throws<ArgumentException>(() => BootPacket.TryWrite(new byte[2000], BootOpcode.Block, 0, 0, 0, new byte[1028], out _));
        Assert.Throws<ArgumentException>(() => BootPacket.TryWrite(new byte[2000], BootOpcode.Block, 0, 0, 0, new byte[6], out _));
    }

    private static void PacketCopyInto(byte[] datagram, byte[] destination)
    {
        BootPacket.TryRead(datagram, out BootPacket packet);
        packet.CopyImageDataTo(destination);
    }
}
