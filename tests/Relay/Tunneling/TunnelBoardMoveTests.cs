using System.Net;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Relay.Tunneling;
using static FastSpinnRelay.Relay.Tests.Tunneling.TunnelLiveTagCleanupTests;
using Chain = FastSpinnRelay.Relay.Tests.Tunneling.TunnelWireTests.Chain;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>
/// <c>relay tunnel serve</c> following its board to another address (what a reload does when the board's name resolves
/// elsewhere): new channels go to the new board; an application's open SCP channel is redirected there without the
/// client noticing; a live-output channel has its IP tag set on the new board and cleared on the old one, so its
/// visualisers keep receiving, or is closed (ChannelRejected) when the new board does not take the tag. Two emulated
/// boards on 127.0.0.1 stand for the old and the new address (their ports differ, which the move takes as it takes the
/// address).
/// </summary>
public class TunnelBoardMoveTests
{
    private const int Tag = 3;
    private const uint Address = 0x6000_0000u;

    [Fact]
    public async Task Open_scp_and_live_output_channels_follow_the_board()
    {
        using var old = new BoardEmulator(Loopback.Board());
        using var moved = new BoardEmulator(Loopback.Board() with { SpikeTag = Tag, SpikeRate = 2000 });
        using var visualiser = new RawUdp(4 << 20);
        await using var chain = await Chain.StartAsync(old, liveOutput: new LiveOutputRoute(Tag, [visualiser.LocalEndPoint]));
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputSockets == 1), "the live-output tag was not set");
        using var application = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        application.Write(Address, "before"u8);
        var oldDestination = old.Tags.Get(Tag)!.Destination;

        var move = await chain.Gateway.MoveBoardAsync(moved.ScpEndPoint, moved.BootEndPoint).WaitAsync(Loopback.Limit);

        Assert.Equal(new TunnelBoardMove(IPAddress.Loopback, IPAddress.Loopback, Redirected: 1, Kept: 0, LiveTagsMoved: 1, LiveTagsFailed: 0), move);
        Assert.Equal(moved.ScpEndPoint, chain.Gateway.BoardScp);
        Assert.Equal(moved.BootEndPoint, chain.Gateway.BoardBoot);
        Assert.Equal(1, chain.Gateway.LiveOutputTagsMoved);

        // The same application, on the same channel (its socket and the client's flow unchanged), now writes to the new board.
        application.Write(Address, "after!"u8);
        Assert.Equal("after!", ReadText(moved, 6));
        Assert.Equal("before", ReadText(old, 6));

        // The new board sends the tag's output to the server (a socket of its own, set as opening the channel does), and
        // the old board's tag, which pointed at the server's earlier socket, is cleared.
        var newDestination = moved.Tags.Get(Tag)!.Destination!;
        Assert.Equal(IPAddress.Loopback, newDestination.Address);
        Assert.NotEqual(oldDestination, newDestination);
        Assert.True(Loopback.WaitUntil(() => old.Tags.Get(Tag) is null), "the old board's tag still points at the server's earlier socket");
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputTagsCleared == 1), $"{chain.Gateway.LiveOutputTagsCleared} cleared");
        Assert.Equal(0, chain.Gateway.LiveOutputTagClearFailures);

        // What the new board emits reaches the visualiser, through the channel opened before the move.
        moved.StartSpikes();
        var packet = visualiser.Receive(out _);
        Assert.Equal(258, packet.Length);
        Assert.Equal(2, chain.Gateway.ChannelsOpened); // the live output and the SCP channel: no new channel was needed
        Assert.Equal(1, chain.Gateway.LiveOutputSockets);

        // A new application gets a new channel, to the new board.
        using (var another = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) })
        {
            another.Write(Address + 0x100, "newest"u8);
        }

        Assert.Equal("newest", ReadText(moved, 6, Address + 0x100));

        // The live-output channel's tag is on the new board now: that is where it is cleared when its session ends.
        await chain.Portal.DisposeAsync();
        Assert.True(Loopback.WaitUntil(() => moved.Tags.Get(Tag) is null), "the new board's tag still points at the released socket");
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputTagsCleared == 2), $"{chain.Gateway.LiveOutputTagsCleared} cleared");
        Assert.Equal(0, chain.Gateway.LiveOutputTagClearFailures);
    }

    [Fact]
    public async Task A_live_output_channel_whose_tag_the_new_board_does_not_take_is_closed_and_the_rest_stays()
    {
        using var old = new BoardEmulator(Loopback.Board());
        using var silent = new RawUdp(); // a "board" that never answers
        await using var chain = await Chain.StartAsync(old);
        await using var client = await ConnectAsync(chain);
        var live = new Ignore();
        OpenLiveOutput(chain, client, live);
        using var application = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        application.Write(Address, "before"u8);

        // Bounded: the tag's SET is tried 3 times, 1 s each, then given up.
        var move = await chain.Gateway.MoveBoardAsync(silent.LocalEndPoint, silent.LocalEndPoint).WaitAsync(Loopback.Limit);

        Assert.Equal(new TunnelBoardMove(IPAddress.Loopback, IPAddress.Loopback, Redirected: 1, Kept: 0, LiveTagsMoved: 0, LiveTagsFailed: 1), move);
        Assert.Equal(1, chain.Gateway.LiveOutputTagMoveFailures);
        Assert.Equal(0, chain.Gateway.LiveOutputTagsMoved);
        Assert.True(Loopback.WaitUntil(() => live.ClosedWith is not null), "the client was not told");
        Assert.Equal(TunnelErrorCode.ChannelRejected, live.ClosedWith);

        // Released, so its tag is cleared on the old board; the SCP channel and both sessions are still there.
        Assert.True(Loopback.WaitUntil(() => old.Tags.Get(Tag) is null), "the old board's tag still points at the released socket");
        Assert.Equal(1, chain.Gateway.OpenChannels);
        Assert.Equal(2, chain.Gateway.Server.Sessions.Count);
        Assert.True(client.Session.IsConnected);
        Assert.True(chain.Portal.Client.Session.IsConnected);

        // Back to the old board: the SCP channel, never closed, follows again.
        await chain.Gateway.MoveBoardAsync(old.ScpEndPoint, old.BootEndPoint).WaitAsync(Loopback.Limit);
        application.Write(Address, "again!"u8);
        Assert.Equal("again!", ReadText(old, 6));
        Assert.Equal(2, chain.Gateway.ChannelsOpened);
    }

    [Fact]
    public async Task A_tag_someone_else_has_set_on_the_old_board_since_is_left_alone_there()
    {
        using var old = new BoardEmulator(Loopback.Board());
        using var moved = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(old);
        await using var client = await ConnectAsync(chain);
        OpenLiveOutput(chain, client);

        // Another tool (spinnman, ybug) on this host points the old board's tag at its own socket, behind the server's back.
        using var other = new ScpClient(old.ScpEndPoint);
        other.SetIpTag(Tag, host: null, port: 0, strip: true, useSender: true);

        var move = await chain.Gateway.MoveBoardAsync(moved.ScpEndPoint, moved.BootEndPoint).WaitAsync(Loopback.Limit);

        Assert.Equal(1, move.LiveTagsMoved);
        Assert.NotNull(moved.Tags.Get(Tag));
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputTagsLeftAlone == 1), $"{chain.Gateway.LiveOutputTagsLeftAlone} left alone");
        Assert.Equal(other.LocalEndPoint, old.Tags.Get(Tag)!.Destination);
        Assert.Equal(0, chain.Gateway.LiveOutputTagsCleared);
        Assert.Equal(0, chain.Gateway.LiveOutputTagClearFailures);
    }

    [Fact]
    public async Task A_board_that_moves_to_another_address_family_leaves_open_scp_channels_where_they_were_and_takes_live_output()
    {
        var (v4, v6) = Loopback.TwinBoards();
        using var old = v4;
        using var moved = v6;
        await using var chain = await Chain.StartAsync(old);
        using var application = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        application.Write(Address, "before"u8);
        await using var client = await ConnectAsync(chain);
        var live = new Ignore();
        OpenLiveOutput(chain, client, live);

        var move = await chain.Gateway.MoveBoardAsync(IPAddress.IPv6Loopback).WaitAsync(Loopback.Limit);

        // The SCP channel's socket is bound to 127.0.0.1 and cannot send to ::1: it keeps the board it had until it closes.
        // The live-output flow's socket is bound there too, but its tag is set on the new board from a socket of its own.
        Assert.Equal(new TunnelBoardMove(IPAddress.Loopback, IPAddress.IPv6Loopback, Redirected: 0, Kept: 1, LiveTagsMoved: 1, LiveTagsFailed: 0), move);
        application.Write(Address, "still4"u8);
        Assert.Equal("still4", ReadText(old, 6));
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, old.ScpEndPoint.Port), chain.Gateway.BoardScp);
        Assert.Equal(IPAddress.IPv6Loopback, moved.Tags.Get(Tag)!.Destination!.Address);
        Assert.True(Loopback.WaitUntil(() => old.Tags.Get(Tag) is null), "the old board's tag still points at the server's earlier socket");
        Assert.Null(live.ClosedWith);

        using var another = new ScpClient(chain.Portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        another.Write(Address, "newer6"u8);
        Assert.Equal("newer6", ReadText(moved, 6));
        Assert.Equal("still4", ReadText(old, 6));
    }

    [Fact]
    public void The_reload_line_says_how_many_live_output_tags_moved_and_how_many_channels_closed()
    {
        var move = new TunnelBoardMove(IPAddress.Loopback, IPAddress.IPv6Loopback, Redirected: 2, Kept: 0, LiveTagsMoved: 3, LiveTagsFailed: 1);

        Assert.Equal(
            "new channels go there, 2 open channels redirected, 3 live-output IP tags set on the new board, their visualisers keep receiving " +
            "(the old board's are being cleared), 1 live-output channel closed (the new board did not answer or refused its IP tag: see the warning " +
            "above; its user restarts relay tunnel connect once it answers)",
            move.Describe());
        Assert.Equal(
            "new channels go there, 1 live-output IP tag set on the new board, its visualisers keep receiving (the old board's is being cleared)",
            (move with { Redirected = 0, LiveTagsMoved = 1, LiveTagsFailed = 0 }).Describe());
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
