using FastSpinnRelay.Protocol.Boot;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Host;

public class BootSenderTests
{
    [Fact]
    public void Synthetic_image_is_deterministic_per_seed_and_rig_sized_by_default()
    {
        var a = BootSender.CreateSyntheticImage(42);

        Assert.Equal(27_168, a.Length);
        Assert.Equal(27, BootImage.BlockCount(a.Length));
        Assert.Equal(a, BootSender.CreateSyntheticImage(42));
        Assert.NotEqual(a, BootSender.CreateSyntheticImage(43));
        Assert.Equal("3103a15192612449", Convert.ToHexStringLower(a.AsSpan(0, 8)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(BootImage.MaxLength + 4)]
    public void Synthetic_image_of_an_impossible_length_is_refused(int length) =>
        Assert.Throws<ArgumentException>(() => BootSender.CreateSyntheticImage(1, length));

    [Fact]
    public async Task Sends_start_blocks_end_that_reassemble_to_the_image()
    {
        using var board = new RawUdp(1 << 20);
        using var sender = new BootSender(board.LocalEndPoint) { Gap = TimeSpan.Zero };
        var image = BootSender.CreateSyntheticImage(5);

        Assert.Equal(29, await sender.SendAsync(image));

        var assembler = new BootImageAssembler();
        var results = new List<BootAssemblyResult>();
        for (var i = 0; i < 29; i++)
        {
            Assert.Equal(BootError.None, BootPacket.TryRead(board.Receive(), out var packet));
            results.Add(assembler.Accept(packet));
        }

        Assert.Equal(BootAssemblyResult.Started, results[0]);
        Assert.All(results.Skip(1).Take(27), r => Assert.Equal(BootAssemblyResult.BlockStored, r));
        Assert.Equal(BootAssemblyResult.Completed, results[^1]);
        Assert.Equal(image, assembler.Image.ToArray());
        Assert.Equal(29, sender.PacketsSent);
    }
}
