using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Boot;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Boot;

public class BootImageAssemblerTests
{
    [Theory]
    [InlineData(27_168)]
    [InlineData(29_868)]
    [InlineData(32_768)]
    [InlineData(4)]
    public void Splitter_output_assembles_to_the_identical_image(int length)
    {
        byte[] image = BootImages.Random(length, seed: length);
        var assembler = new BootImageAssembler();

        List<BootAssemblyResult> results = [.. BootImages.Packets(image).Select(p => Accept(assembler, p))];

        Assert.Equal(BootAssemblyResult.Started, results[0]);
        Assert.All(results.Skip(1).SkipLast(1), r => Assert.Equal(BootAssemblyResult.BlockStored, r));
        Assert.Equal(BootAssemblyResult.Completed, results[^1]);
        Assert.Equal(BootAssemblyState.Complete, assembler.State);
        Assert.Equal(length, assembler.ImageLength);
        Assert.True(assembler.Image.SequenceEqual(image));
    }

    [Fact]
    public void Out_of_order_blocks_still_assemble()
    {
        byte[] image = BootImages.Random(29_868, seed: 3);
        List<byte[]> packets = BootImages.Packets(image);
        byte[][] blocks = [.. packets.Skip(1).SkipLast(1)];
        new Random(4).Shuffle(blocks);
        var assembler = new BootImageAssembler();

        Assert.Equal(BootAssemblyResult.Started, Accept(assembler, packets[0]));
        Assert.All(blocks, b => Assert.Equal(BootAssemblyResult.BlockStored, Accept(assembler, b)));
        Assert.Equal(BootAssemblyResult.Completed, Accept(assembler, packets[^1]));

        Assert.True(assembler.Image.SequenceEqual(image));
    }

    [Fact]
    public void Missing_block_is_reported_at_end_and_a_late_block_can_still_complete()
    {
        byte[] image = BootImages.Random(27_168, seed: 5);
        List<byte[]> packets = BootImages.Packets(image);
        var assembler = new BootImageAssembler();
        byte[] block13 = packets[1 + 13];

        foreach (byte[] packet in packets.Where(p => p != block13).SkipLast(1))
        {
            Assert.True(Accept(assembler, packet).IsAccepted());
        }

        Assert.Equal(BootAssemblyResult.MissingBlocks, Accept(assembler, packets[^1]));
        Assert.Equal(BootAssemblyState.Receiving, assembler.State);
        Assert.Equal(1, assembler.MissingBlockCount);
        Assert.False(assembler.IsBlockReceived(13));
        Assert.True(assembler.Image.IsEmpty);

        Assert.Equal(BootAssemblyResult.BlockStored, Accept(assembler, block13));
        Assert.Equal(BootAssemblyResult.Completed, Accept(assembler, packets[^1]));
        Assert.True(assembler.Image.SequenceEqual(image));
    }

    [Fact]
    public void Accepts_the_word_count_255_that_rig_and_spinnman_send_for_a_short_last_block()
    {
        byte[] image = BootImages.Random(1024 + 544, seed: 6);
        var assembler = new BootImageAssembler();

        Assert.Equal(BootAssemblyResult.Started, Accept(assembler, Packet(BootOpcode.Start, 0, 1)));
        Assert.Equal(BootAssemblyResult.BlockStored, Accept(assembler, Packet(BootOpcode.Block, 255 << 8 | 0, 0, image.AsSpan(0, 1024))));
        Assert.Equal(BootAssemblyResult.BlockStored, Accept(assembler, Packet(BootOpcode.Block, 255 << 8 | 1, 0, image.AsSpan(1024))));
        Assert.Equal(BootAssemblyResult.Completed, Accept(assembler, Packet(BootOpcode.End, 1, 0)));

        Assert.True(assembler.Image.SequenceEqual(image));
    }

    [Fact]
    public void Block_before_start_and_end_before_start_are_ignored()
    {
        var assembler = new BootImageAssembler();

        Assert.Equal(BootAssemblyResult.BlockWithoutStart, Accept(assembler, Packet(BootOpcode.Block, 0, 0, new byte[1024])));
        Assert.Equal(BootAssemblyResult.EndWithoutStart, Accept(assembler, Packet(BootOpcode.End, 1, 0)));
        Assert.Equal(BootAssemblyState.Idle, assembler.State);
    }

    [Fact]
    public void Problems_leave_the_state_unchanged()
    {
        var assembler = new BootImageAssembler();
        byte[] first = new byte[1024];
        first[0] = 1;
        Assert.Equal(BootAssemblyResult.Started, Accept(assembler, Packet(BootOpcode.Start, 0, 2)));
        Assert.Equal(BootAssemblyResult.BlockStored, Accept(assembler, Packet(BootOpcode.Block, 255 << 8 | 0, 0, first)));

        Assert.Equal(BootAssemblyResult.BlockCountOutOfRange, Accept(assembler, Packet(BootOpcode.Start, 0, 32)));
        Assert.Equal(BootAssemblyResult.BlockIndexOutOfRange, Accept(assembler, Packet(BootOpcode.Block, 255 << 8 | 3, 0, new byte[1024])));
        Assert.Equal(BootAssemblyResult.WrongWordCount, Accept(assembler, Packet(BootOpcode.Block, 9 << 8 | 1, 0, new byte[1024])));
        Assert.Equal(BootAssemblyResult.WrongWordCount, Accept(assembler, Packet(BootOpcode.Block, 255 << 8 | 2, 0, [])));
        Assert.Equal(BootAssemblyResult.ShortBlockNotLast, Accept(assembler, Packet(BootOpcode.Block, 3 << 8 | 1, 0, new byte[16])));
        Assert.Equal(BootAssemblyResult.DuplicateBlockIgnored, Accept(assembler, Packet(BootOpcode.Block, 255 << 8 | 0, 0, first)));
        Assert.Equal(BootAssemblyResult.DuplicateBlockDiffers, Accept(assembler, Packet(BootOpcode.Block, 255 << 8 | 0, 0, new byte[1024])));
        Assert.Equal(BootAssemblyResult.UnknownOpcode, Accept(assembler, Packet(BootOpcode.Hello, 0, 0)));
        Assert.Equal(BootAssemblyResult.MissingBlocks, Accept(assembler, Packet(BootOpcode.End, 1, 0)));

        Assert.Equal(BootAssemblyState.Receiving, assembler.State);
        Assert.Equal(3, assembler.ExpectedBlockCount);
        Assert.Equal(1, assembler.ReceivedBlockCount);
        Assert.Equal(BootAssemblyResult.BlockStored, Accept(assembler, Packet(BootOpcode.Block, 255 << 8 | 1, 0, new byte[1024])));
        Assert.Equal(BootAssemblyResult.BlockStored, Accept(assembler, Packet(BootOpcode.Block, 0 << 8 | 2, 0, new byte[4])));
        Assert.Equal(BootAssemblyResult.Completed, Accept(assembler, Packet(BootOpcode.End, 1, 0)));
        Assert.Equal(1, assembler.Image[0]);
        Assert.Equal(2052, assembler.ImageLength);
    }

    [Fact]
    public void Duplicate_short_last_block_with_another_length_differs()
    {
        var assembler = new BootImageAssembler();
        Accept(assembler, Packet(BootOpcode.Start, 0, 0));
        Assert.Equal(BootAssemblyResult.BlockStored, Accept(assembler, Packet(BootOpcode.Block, 1 << 8, 0, new byte[8])));

        Assert.Equal(BootAssemblyResult.DuplicateBlockDiffers, Accept(assembler, Packet(BootOpcode.Block, 0, 0, new byte[4])));
        Assert.Equal(BootAssemblyResult.DuplicateBlockIgnored, Accept(assembler, Packet(BootOpcode.Block, 255 << 8, 0, new byte[8])));
    }

    [Fact]
    public void Start_after_progress_or_completion_restarts_and_after_end_blocks_are_refused()
    {
        byte[] image = BootImages.Random(2048, seed: 7);
        List<byte[]> packets = BootImages.Packets(image);
        var assembler = new BootImageAssembler();
        packets.ForEach(p => Accept(assembler, p));
        Assert.Equal(BootAssemblyState.Complete, assembler.State);

        Assert.Equal(BootAssemblyResult.BlockWithoutStart, Accept(assembler, packets[1]));
        Assert.Equal(BootAssemblyResult.EndWithoutStart, Accept(assembler, packets[^1]));
        Assert.Equal(BootAssemblyResult.Restarted, Accept(assembler, packets[0]));
        Assert.Equal(0, assembler.ReceivedBlockCount);
        Assert.True(assembler.Image.IsEmpty);
        Assert.Equal(BootAssemblyResult.Started, Accept(assembler, packets[0]));
        Assert.Equal(BootAssemblyResult.BlockStored, Accept(assembler, packets[1]));
        Assert.Equal(BootAssemblyResult.Restarted, Accept(assembler, packets[0]));
    }

    [Fact]
    public void Reset_forgets_everything()
    {
        var assembler = new BootImageAssembler();
        BootImages.Packets(BootImages.Random(64, seed: 8)).ForEach(p => Accept(assembler, p));

        assembler.Reset();

        Assert.Equal(BootAssemblyState.Idle, assembler.State);
        Assert.Equal(0, assembler.ExpectedBlockCount);
        Assert.Equal(0, assembler.ImageLength);
        Assert.Equal(BootAssemblyResult.BlockWithoutStart, Accept(assembler, Packet(BootOpcode.Block, 0, 0, new byte[4])));
    }

    [Fact]
    public void Accepted_and_problem_results_are_told_apart()
    {
        BootAssemblyResult[] accepted =
            [BootAssemblyResult.Started, BootAssemblyResult.Restarted, BootAssemblyResult.BlockStored,
             BootAssemblyResult.DuplicateBlockIgnored, BootAssemblyResult.Completed];

        Assert.All(Enum.GetValues<BootAssemblyResult>(), r => Assert.Equal(accepted.Contains(r), r.IsAccepted()));
    }

    [Fact]
    public void Image_holds_the_words_little_endian_as_the_image_file_does()
    {
        var assembler = new BootImageAssembler();
        Accept(assembler, Packet(BootOpcode.Start, 0, 0));

        // BLOCK 0, one word, sent big-endian as 01 02 03 04.
        Assert.Equal(BootAssemblyResult.BlockStored, Accept(assembler, Hex.Bytes("0001 00000003 00000000 00000000 00000000 01020304")));
        Assert.Equal(BootAssemblyResult.Completed, Accept(assembler, Packet(BootOpcode.End, 1, 0)));

        Assert.Equal(Hex.Bytes("04030201"), assembler.Image.ToArray());
        Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32LittleEndian(assembler.Image));
    }

    internal static BootAssemblyResult Accept(BootImageAssembler assembler, byte[] datagram)
    {
        Assert.Equal(BootError.None, BootPacket.TryRead(datagram, out BootPacket packet));
        return assembler.Accept(packet);
    }

    private static byte[] Packet(BootOpcode opcode, uint operand1, uint operand3, ReadOnlySpan<byte> image = default)
    {
        var buffer = new byte[BootPacket.MaxLength];
        Assert.True(BootPacket.TryWrite(buffer, opcode, operand1, 0, operand3, image, out int n));
        return buffer[..n];
    }
}
