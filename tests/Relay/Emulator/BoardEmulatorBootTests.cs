using System.Security.Cryptography;
using FastSpinnRelay.Protocol.Boot;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Emulator;

public class BoardEmulatorBootTests
{
    [Fact]
    public async Task Real_sized_synthetic_image_boots_byte_identical_and_VER_then_reports_chip_0_0()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);
        using var sender = new BootSender(board.BootEndPoint) { Gap = TimeSpan.FromMilliseconds(1) };
        var image = BootSender.CreateSyntheticImage(seed: 1);
        Assert.False(client.Version().IsBooted);

        var packets = await sender.SendAsync(image);

        Assert.Equal(1 + 27 + 1, packets);
        Assert.True(Loopback.WaitUntil(() => board.Counters.BootsCompleted == 1));
        Assert.Equal(packets, board.Counters.BootPackets);
        Assert.Equal(0, board.Counters.BootProblems);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(image)), board.BootImageSha256);
        Assert.Equal(image, board.CopyBootImage());
        Assert.True(board.IsBooted);
        var version = client.Version();
        Assert.True(version.IsBooted);
        Assert.Equal((0, 0), (version.X, version.Y));
    }

    [Fact]
    public async Task A_new_start_makes_the_board_unbooted_until_that_boot_completes()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var sender = new BootSender(board.BootEndPoint) { Gap = TimeSpan.Zero };
        using var raw = new RawUdp();
        await sender.SendAsync(BootSender.CreateSyntheticImage(seed: 2, length: 2048));
        Assert.True(Loopback.WaitUntil(() => board.IsBooted));

        var start = new byte[BootPacket.MaxLength];
        Assert.True(BootPacket.TryWrite(start, BootOpcode.Start, 0, 0, 1, [], out var n));
        raw.Send(start[..n], board.BootEndPoint);

        Assert.True(Loopback.WaitUntil(() => board.Counters.BootResults(BootAssemblyResult.Restarted) == 1));
        Assert.False(board.IsBooted);
    }

    [Fact]
    public async Task Settle_time_holds_VER_at_not_booted_after_a_complete_image()
    {
        using var board = new BoardEmulator(Loopback.Board() with { BootSettleTime = TimeSpan.FromMinutes(1) });
        using var sender = new BootSender(board.BootEndPoint) { Gap = TimeSpan.Zero };
        using var client = new ScpClient(board.ScpEndPoint);

        await sender.SendAsync(BootSender.CreateSyntheticImage(seed: 3, length: 1024));

        Assert.True(Loopback.WaitUntil(() => board.Counters.BootsCompleted == 1));
        Assert.False(client.Version().IsBooted);
    }

    [Fact]
    public void Malformed_and_out_of_order_boot_packets_are_counted_not_fatal()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var raw = new RawUdp();
        var end = new byte[BootPacket.HeaderLength];
        BootPacket.TryWrite(end, BootOpcode.End, 1, 0, 0, [], out _);

        raw.Send([0, 1, 2], board.BootEndPoint);
        raw.Send(end, board.BootEndPoint);

        Assert.True(Loopback.WaitUntil(() => board.Counters.BootResults(BootAssemblyResult.EndWithoutStart) == 1));
        Assert.Equal(1, board.Counters.BootMalformed(BootError.TooShort));
        Assert.Equal(1, board.Counters.BootProblems);
        Assert.False(board.IsBooted);
        Assert.Null(board.BootImageSha256);
        Assert.Empty(board.CopyBootImage());
    }
}
