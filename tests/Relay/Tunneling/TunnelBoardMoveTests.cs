using System.Net;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Relay.Tunneling;
using Chain = FastSpinnRelay.Relay.Tests.Tunneling.TunnelWireTests.Chain;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>
/// <c>relay tunnel serve</c> following its board to another address (what a reload does when the board's name resolves
/// elsewhere): new channels go to the new board; an application's open SCP channel is redirected there without the
/// client noticing; a live-output channel stays with the old board, which holds its IP tag, and that tag is cleared on the
/// old board when the channel goes, not on the new one. Two emulated boards on 127.0.0.1 stand for the old and the new
/// address (their ports differ, which the move takes as it takes the address).
/// </summary>
public class TunnelBoardMoveTests
{
    private const int Tag = 3;
    private const uint Address = 0x6000_0000u;

    [Fact]
    public async Task Open_scp_channels_follow_the_board_and_live_output_stays_with_the_old_one()
    {
        using var old = new BoardEmulator(Loopback.Board());
        using var moved = new BoardEmulator(Loopback.Board());
        using var visualiser = new RawUdp();
        await using var chain = await Chain.StartAsync(old, liveOutput: new LiveOutputRoute(Tag, [visualiser.LocalEndPoint]));
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputSockets == 1), "the live-output tag was not set");
        using var application = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        application.Write(Address, "before"u8);

        var move = await chain.Gateway.MoveBoardAsync(moved.ScpEndPoint, moved.BootEndPoint).WaitAsync(Loopback.Limit);

        Assert.Equal(new TunnelBoardMove(IPAddress.Loopback, IPAddress.Loopback, Redirected: 1, Kept: 0, LiveOutputs: 1), move);
        Assert.Equal(moved.ScpEndPoint, chain.Gateway.BoardScp);
        Assert.Equal(moved.BootEndPoint, chain.Gateway.BoardBoot);

        // The same application, on the same channel (its socket and the client's flow unchanged), now writes to the new board.
        application.Write(Address, "after!"u8);
        Assert.Equal("after!", ReadText(moved, 6));
        Assert.Equal("before", ReadText(old, 6));
        Assert.Equal(2, chain.Gateway.ChannelsOpened); // the live output and the SCP channel: no new channel was needed

        // A new application gets a new channel, to the new board.
        using (var another = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) })
        {
            another.Write(Address + 0x100, "newest"u8);
        }

        Assert.Equal("newest", ReadText(moved, 6, Address + 0x100));

        // The live-output channel's tag is on the old board: that is where it is cleared when its session ends.
        Assert.NotNull(old.Tags.Get(Tag));
        Assert.Null(moved.Tags.Get(Tag));
        await chain.Portal.DisposeAsync();
        Assert.True(Loopback.WaitUntil(() => old.Tags.Get(Tag) is null), "the old board's tag still points at the released socket");
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputTagsCleared == 1), $"{chain.Gateway.LiveOutputTagsCleared} cleared");
        Assert.Equal(0, chain.Gateway.LiveOutputTagClearFailures);
    }

    [Fact]
    public async Task A_board_that_moves_to_another_address_family_leaves_open_channels_where_they_were()
    {
        var (v4, v6) = Loopback.TwinBoards();
        using var old = v4;
        using var moved = v6;
        await using var chain = await Chain.StartAsync(old);
        using var application = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        application.Write(Address, "before"u8);

        var move = await chain.Gateway.MoveBoardAsync(IPAddress.IPv6Loopback).WaitAsync(Loopback.Limit);

        // Its socket is bound to 127.0.0.1 and cannot send to ::1: it keeps the board it had until it closes.
        Assert.Equal(new TunnelBoardMove(IPAddress.Loopback, IPAddress.IPv6Loopback, Redirected: 0, Kept: 1, LiveOutputs: 0), move);
        application.Write(Address, "still4"u8);
        Assert.Equal("still4", ReadText(old, 6));
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, old.ScpEndPoint.Port), chain.Gateway.BoardScp);

        using var another = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        another.Write(Address, "newer6"u8);
        Assert.Equal("newer6", ReadText(moved, 6));
        Assert.Equal("still4", ReadText(old, 6));
    }

    /// <summary>What <paramref name="board"/> holds at <paramref name="address"/>, read from it directly (not through the tunnel).</summary>
    internal static string ReadText(BoardEmulator board, int length, uint address = Address)
    {
        using var direct = new ScpClient(board.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        var bytes = new byte[length];
        direct.Read(address, bytes);
        return System.Text.Encoding.ASCII.GetString(bytes);
    }
}
