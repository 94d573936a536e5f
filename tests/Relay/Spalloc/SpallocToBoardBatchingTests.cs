using System.Net.WebSockets;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>
/// serve's client -> board direction, where the datagrams of frames already received leave in one sendmmsg: each MSG is
/// still exactly one datagram, in order; a lone one is not held; nothing received before a CLOSE or a violation is lost.
/// </summary>
public class SpallocToBoardBatchingTests
{
    [Fact]
    public async Task A_burst_of_msg_frames_reaches_the_board_as_one_datagram_each_in_order()
    {
        await using var s = await ProxyScenario.StartAsync();
        using var board = new RawUdp(receiveBufferSize: 4 << 20);
        var channel = await s.Client.OpenAsync(0, 0, board.LocalEndPoint.Port);
        var sent = SpallocLiveBatchingTests.Datagrams(600, seed: 23);

        foreach (var datagram in sent)
        {
            await s.Client.SendMessageAsync(channel, datagram);
        }

        foreach (var expected in sent)
        {
            Assert.Equal(expected, board.Receive());
        }

        Assert.True(Loopback.WaitUntil(() => s.Counters.DatagramsToBoards == 600));
        Assert.Equal(0, s.Counters.SendFailures);
    }

    [Fact]
    public async Task A_lone_msg_frame_is_sent_without_waiting_for_more()
    {
        await using var s = await ProxyScenario.StartAsync();
        using var board = new RawUdp();
        var channel = await s.Client.OpenAsync(0, 0, board.LocalEndPoint.Port);

        for (var i = 1; i <= 5; i++)
        {
            // The only traffic until it has arrived: were it held for a batch to fill, it never would.
            await s.Client.SendMessageAsync(channel, [(byte)i, 0xEE]);
            Assert.Equal(new byte[] { (byte)i, 0xEE }, board.Receive());
        }
    }

    [Fact]
    public async Task Datagrams_received_before_a_close_of_their_channel_still_reach_the_board()
    {
        await using var s = await ProxyScenario.StartAsync();
        using var board = new RawUdp();
        var channel = await s.Client.OpenAsync(0, 0, board.LocalEndPoint.Port);

        await s.Client.SendMessageAsync(channel, [1]);
        await s.Client.SendMessageAsync(channel, [2]);
        await s.Client.SendAsync(Hex.Parse($"01000000 63000000 {Convert.ToHexString(BitConverter.GetBytes(channel))}"));

        Assert.Equal(new byte[] { 1 }, board.Receive());
        Assert.Equal(new byte[] { 2 }, board.Receive());
        Assert.True(Loopback.WaitUntil(() => s.Counters.OpenChannels == 0));
    }

    [Fact]
    public async Task Datagrams_received_before_a_malformed_frame_still_go_and_the_frame_is_rejected_and_counted()
    {
        await using var s = await ProxyScenario.StartAsync();
        using var board = new RawUdp();
        var channel = await s.Client.OpenAsync(0, 0, board.LocalEndPoint.Port);

        await s.Client.SendMessageAsync(channel, [7, 7]);
        await s.Client.SendAsync(Hex.Parse("02000000"));

        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await s.Client.WaitClosedAsync());
        Assert.Equal("MSG frame of 4 bytes is too short", s.Client.CloseDescription);
        Assert.Equal(new byte[] { 7, 7 }, board.Receive());
        Assert.Equal(1, s.Counters.ProtocolViolations);
        Assert.Equal(1, s.Counters.DatagramsToBoards);
    }
}
