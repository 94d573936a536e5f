using FastSpinnRelay.Protocol.Sdp;

namespace FastSpinnRelay.Protocol.Tests.Sdp;

public class ScpMemoryArgsTests
{
    [Theory]
    [InlineData(0x6000_0000u, 256u, ScpAccessType.Word)]
    [InlineData(0x6000_0004u, 4u, ScpAccessType.Word)]
    [InlineData(0x6000_0002u, 4u, ScpAccessType.HalfWord)]
    [InlineData(0x6000_0000u, 6u, ScpAccessType.HalfWord)]
    [InlineData(0x6000_0001u, 4u, ScpAccessType.Byte)]
    [InlineData(0x6000_0000u, 3u, ScpAccessType.Byte)]
    [InlineData(0x6000_0002u, 1u, ScpAccessType.Byte)]
    public void Access_type_is_word_when_both_align_to_4_half_when_both_even_else_byte(
        uint address, uint length, ScpAccessType expected)
    {
        Assert.Equal(expected, ScpMemoryArgs.ChooseAccessType(address, length));
        Assert.Equal(new ScpMemoryArgs(address, length, expected), ScpMemoryArgs.ForTransfer(address, length));
    }

    [Fact]
    public void Args_map_to_address_length_and_type()
    {
        ScpMemoryArgs args = ScpMemoryArgs.FromArgs(0x7000_0000, 128, 1);

        Assert.Equal(new ScpMemoryArgs(0x7000_0000, 128, ScpAccessType.HalfWord), args);
        Assert.True(args.IsAcceptedByBoard);
    }

    [Theory]
    [InlineData(257u, 0u)]
    [InlineData(4u, 3u)]
    [InlineData(uint.MaxValue, 2u)]
    public void Board_refuses_long_lengths_and_unknown_access_types(uint length, uint type) =>
        Assert.False(ScpMemoryArgs.FromArgs(0, length, type).IsAcceptedByBoard);
}
