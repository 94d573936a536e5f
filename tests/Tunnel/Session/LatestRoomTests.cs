using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Tests.TestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>
/// A latest-class producer may wait for room (and stop reading its source) only after the latest queue overflowed
/// while a connection drains it; it hears once, when the queue is down to half or the connection ends. A reliable
/// producer waits only while the replay buffer is full, and hears once acknowledgements free a quarter of it.
/// </summary>
public class LatestRoomTests
{
    /// <summary>Most spikes a flood sends: it stops at the first overflow of the queue (256 KiB; the pipe holds 64 KiB).</summary>
    private const int MaxSpikes = 400_000;

    [Fact]
    public async Task A_producer_waits_only_after_an_overflow_and_hears_once_when_the_queue_drains()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        using var stall = new Stall();
        var (board, producer) = await OpenStalledLiveOutputAsync(pair, stall);

        Assert.False(board.LatestQueueOverflowed);
        Assert.False(board.TryWaitForLatestRoom()); // nothing dropped: nothing to wait for

        // The overflow hint can clear once more although the visualiser is stalled: a send-loop pass that starts just
        // after the overflow moves 128 KiB into the pipe before its flush waits for good (see
        // A_reliable_channel_never_waits_for_latest_room). So the queue is topped up until a wait is registered, and
        // the test counts announcements instead of asking when the one for this wait comes: exactly one, early or not.
        bool waited = false;
        int roomsBefore = 0;
        for (int attempt = 0; attempt < 100 && !waited; attempt++)
        {
            Flood(board);
            roomsBefore = producer.Rooms;
            waited = board.TryWaitForLatestRoom();
        }

        Assert.True(waited);
        Assert.True(pair.ServerSession.GetCounters().LatestDatagramsDropped > 0);
        board.TryWaitForLatestRoom(); // waiting twice is one wait (false if the room was announced in between)

        stall.Release();
        await Bounded.Until(() => producer.Rooms == roomsBefore + 1, "room once the queue drains");
        await Bounded.Until(() => pair.ServerSession.GetCounters().LatestDatagramsQueued - pair.ServerSession.GetCounters().LatestDatagramsDropped
            == pair.Client.Session.GetCounters().LatestDatagramsReceived, "everything left in the queue delivered");
        Assert.False(board.LatestQueueOverflowed);
        Assert.False(board.TryWaitForLatestRoom());
        Assert.Equal(roomsBefore + 1, producer.Rooms); // one wait, one announcement
    }

    [Fact]
    public async Task A_waiting_producer_hears_when_the_connection_ends()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        using var stall = new Stall();
        var (board, producer) = await OpenStalledLiveOutputAsync(pair, stall);
        Flood(board);
        Assert.True(board.TryWaitForLatestRoom());

        pair.ServerSession.AbortConnection(); // nothing drains the queue now: dropping the oldest is the freshest choice again
        await Bounded.Until(() => producer.Rooms == 1, "room when the connection ends");
        stall.Release();
    }

    [Fact]
    public async Task A_reliable_channel_never_waits_for_latest_room()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        using var stall = new Stall();
        var (board, _) = await OpenStalledLiveOutputAsync(pair, stall);
        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 2, "the SCP channel to open");
        TunnelChannel boardScp = pair.ServerAcceptor.Opened.Single(o => o.Channel.Kind == TunnelChannelKind.Scp).Channel;
        Assert.Equal(TunnelDeliveryClass.Reliable, boardScp.Delivery);

        // The overflow hint can clear again between two reads although the visualiser is stalled: one pass of the send
        // loop moves up to 8 batches (128 KiB, half the queue) into the pipe before its flush waits, so a pass that
        // starts just after the overflow leaves the queue at half, which is room. So the queue is topped up until each
        // observation has been made (the hint cleared once in about thirty runs of the suite).
        bool hintSeen = false, reliableWaited = false, latestWaited = false;
        for (int attempt = 0; attempt < 100 && !(hintSeen && latestWaited); attempt++)
        {
            Flood(board);
            hintSeen |= boardScp.LatestQueueOverflowed; // the hint is the session's
            reliableWaited |= boardScp.TryWaitForLatestRoom(); // but only latest-class producers feed that queue
            latestWaited |= board.TryWaitForLatestRoom();
        }

        Assert.True(hintSeen);
        Assert.False(reliableWaited);
        Assert.True(latestWaited);
        stall.Release();
        Assert.Equal(TunnelChannelKind.Scp, scp.Kind);
    }

    [Fact]
    public async Task A_reliable_producer_waits_only_while_the_replay_buffer_is_full_and_hears_once_when_acknowledged()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        var producer = new RecordingHandler();
        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, producer);
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 1, "the channel to open");
        using var stall = new Stall();
        pair.ServerAcceptor.Opened[0].Handler.BeforeEach = stall.Wait; // the server stops acknowledging

        Assert.False(scp.TryWaitForReplayRoom()); // room: nothing to wait for
        var request = new byte[1000];
        int sent = 0;
        while (sent < 10_000 && scp.TrySend(request) == TunnelSendStatus.Sent)
        {
            sent++;
        }

        Assert.Equal(TunnelSendStatus.Full, scp.TrySend(request));
        Assert.True(scp.TryWaitForReplayRoom());
        Assert.True(scp.TryWaitForReplayRoom()); // waiting twice is one wait
        Assert.Equal(0, producer.Rooms);

        stall.Release();
        await Bounded.Until(() => producer.Rooms == 1, "room once acknowledgements free the buffer");
        await Bounded.Until(() => pair.ServerAcceptor.Opened[0].Handler.Count == sent, "every request delivered");
        Assert.False(scp.TryWaitForReplayRoom());
        Assert.Equal(1, producer.Rooms);
    }

    [Fact]
    public async Task A_latest_channel_never_waits_for_replay_room()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        using var stall = new Stall();
        var (board, _) = await OpenStalledLiveOutputAsync(pair, stall);
        Flood(board);

        Assert.False(board.TryWaitForReplayRoom());
        stall.Release();
    }

    /// <summary>Opens a live-output channel whose visualiser (the client's handler) stalls on its first datagram until the stall is released.</summary>
    private static async Task<(TunnelChannel Board, RecordingHandler Producer)> OpenStalledLiveOutputAsync(TunnelPair pair, Stall stall)
    {
        var visualiser = new RecordingHandler { BeforeEach = stall.Wait };
        pair.Client.Session.OpenChannel(TunnelChannelKind.EieioOutput, new TunnelTarget(null, 17895), visualiser);
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 1, "the channel to open");
        var (board, producer) = pair.ServerAcceptor.Opened[0];
        return (board, producer);
    }

    /// <summary>Sends spikes until the latest queue overflows (bounded by <see cref="MaxSpikes"/>).</summary>
    private static void Flood(TunnelChannel board)
    {
        for (int i = 0; i < MaxSpikes && !board.LatestQueueOverflowed; i++)
        {
            Assert.Equal(TunnelSendStatus.Sent, board.TrySend(SpikeStream.Packet(i, keysPerPacket: 64, population: 1000)));
        }

        Assert.True(board.LatestQueueOverflowed, $"{MaxSpikes} spikes did not overflow the latest queue");
    }
}
