using FastSpinnRelay.Protocol.Boot;

namespace FastSpinnRelay.Protocol.Tests.Boot;

public class BootImageSplitterTests
{
    [Theory]
    [InlineData(27_168, 27, 544)]   // rig scamp.boot: 26 × 1024 + 544
    [InlineData(29_868, 30, 172)]   // spinnman scamp.boot: 29 × 1024 + 172
    [InlineData(32_768, 32, 1024)]  // the DTCM limit
    [InlineData(4, 1, 4)]
    public void Writes_start_blocks_and_end_for_real_sized_images(int length, int blocks, int lastBlockLength)
    {
        byte[] image = BootImages.Random(length, seed: length);
        var splitter = new BootImageSplitter(image);
        var buffer = new byte[BootPacket.MaxLength];

        Assert.Equal(blocks, splitter.BlockCount);
        Assert.Equal(blocks + 2, splitter.PacketCount);

        Assert.True(splitter.TryWriteNext(buffer, out int n));
        Assert.Equal(BootError.None, BootPacket.TryRead(buffer.AsSpan(0, n), out BootPacket start));
        Assert.Equal(BootOpcode.Start, start.Opcode);
        Assert.Equal((uint)(blocks - 1), start.Operand3);

        var copy = new byte[BootImage.BlockLength];
        for (int index = 0; index < blocks; index++)
        {
            Assert.True(splitter.TryWriteNext(buffer, out n));
            Assert.Equal(BootError.None, BootPacket.TryRead(buffer.AsSpan(0, n), out BootPacket block));
            int expectedLength = index == blocks - 1 ? lastBlockLength : 1024;

            Assert.Equal(BootOpcode.Block, block.Opcode);
            Assert.Equal((uint)(((expectedLength / 4) - 1) << 8 | index), block.Operand1);
            Assert.Equal(expectedLength, block.CopyImageDataTo(copy));
            Assert.True(copy.AsSpan(0, expectedLength).SequenceEqual(image.AsSpan(index * 1024, expectedLength)));
        }

        Assert.True(splitter.TryWriteNext(buffer, out n));
        Assert.Equal(BootError.None, BootPacket.TryRead(buffer.AsSpan(0, n), out BootPacket end));
        Assert.Equal(BootOpcode.End, end.Opcode);
        Assert.Equal(1u, end.Operand1);
        Assert.True(splitter.IsComplete);
        Assert.Equal(blocks + 2, splitter.PacketsWritten);
        Assert.Throws<InvalidOperationException>(() => WriteOneMore(splitter));
    }

    [Fact]
    public void Small_destination_leaves_the_position_unchanged()
    {
        var splitter = new BootImageSplitter(BootImages.Random(2048, seed: 1));
        var buffer = new byte[BootPacket.MaxLength];
        Assert.True(splitter.TryWriteNext(buffer, out _));

        Assert.False(splitter.TryWriteNext(new byte[BootPacket.MaxLength - 1], out int n));

        Assert.Equal(0, n);
        Assert.Equal(1, splitter.PacketsWritten);
        Assert.True(splitter.TryWriteNext(buffer, out n));
        Assert.Equal(BootPacket.MaxLength, n);
    }

    [Fact]
    public void Restart_begins_again_with_start()
    {
        var splitter = new BootImageSplitter(BootImages.Random(8, seed: 2));
        var buffer = new byte[BootPacket.MaxLength];
        while (!splitter.IsComplete)
        {
            Assert.True(splitter.TryWriteNext(buffer, out _));
        }

        splitter.Restart();

        Assert.True(splitter.TryWriteNext(buffer, out int n));
        Assert.Equal(BootError.None, BootPacket.TryRead(buffer.AsSpan(0, n), out BootPacket start));
        Assert.Equal(BootOpcode.Start, start.Opcode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(32_772)]
    public void Rejects_images_the_protocol_cannot_carry(int length) =>
        Assert.Throws<ArgumentException>(() => new BootImageSplitter(new byte[length]));

    [Fact]
    public void Default_instance_has_nothing_to_write()
    {
        BootImageSplitter splitter = default;

        Assert.True(splitter.IsComplete);
        Assert.Equal(0, splitter.PacketCount);
        Assert.Throws<InvalidOperationException>(() => WriteOneMore(splitter));
    }

    private static void WriteOneMore(BootImageSplitter splitter) =>
        splitter.TryWriteNext(new byte[BootPacket.MaxLength], out _);
}

internal static class BootImages
{
    public static byte[] Random(int length, int seed)
    {
        var image = new byte[length];
        new Random(seed).NextBytes(image);
        return image;
    }

    /// <summary>Every packet of an image's sequence, each in its own array.</summary>
    public static List<byte[]> Packets(byte[] image)
    {
        var splitter = new BootImageSplitter(image);
        var buffer = new byte[BootPacket.MaxLength];
        var packets = new List<byte[]>();
        while (!splitter.IsComplete)
        {
            Assert.True(splitter.TryWriteNext(buffer, out int n));
            packets.Add(buffer[..n]);
        }

        return packets;
    }
}
