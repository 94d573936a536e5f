using System.Buffers.Binary;
using System.Net.WebSockets;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>
/// A slow client loses live output (oldest first, counted) but keeps its SCP replies and its session; only a client
/// that stops reading altogether is disconnected. The board streams until the test has seen what it waits for, so the
/// flood always outgrows every buffer on the way (the client's TCP receive buffer is shrunk to 4 KiB, the send queue
/// to 64 KiB): dropping is certain, not a matter of timing.
/// </summary>
public class SpallocBackpressureTests
{
    private const double Rate = 50_000;

    [Fact]
    public async Task A_slow_reader_loses_live_output_oldest_first_but_gets_every_scp_reply()
    {
        await using var s = await ProxyScenario.StartAsync(
            Loopback.Board() with { SpikeTag = 1, SpikeRate = Rate },
            o => o with { SendQueueBytes = 64 << 10 },
            receiveBufferBytes: 4096);
        var scp = await s.Client.OpenAsync(0, 0, s.ScpPort);
        var live = await SetLiveTagAsync(s);

        s.Client.PauseReading();
        s.Board.StartSpikes();
        Assert.True(Loopback.WaitUntil(() => s.Counters.LiveFramesDropped > 0), "nothing was dropped: the flood did not fill the queue");
        s.Board.StopSpikes();

        // The queue is full of live output: the replies must still get in (older live frames make room).
        for (ushort seq = 1; seq <= 5; seq++)
        {
            await s.Client.SendMessageAsync(scp, Loopback.Request(ScpCommand.Ver, seq));
        }

        Assert.True(Loopback.WaitUntil(() => s.Board.Counters.ScpReplies >= 6));
        s.Client.ResumeReading();

        var replies = new List<ushort>();
        var tracker = new SpikeSequenceTracker();
        for (var frames = 0; replies.Count < 5 && frames < 1_000_000; frames++)
        {
            var frame = s.Client.NextFrame();
            var channel = BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(4));
            if (channel == scp)
            {
                Assert.Equal(ScpError.None, ScpHeader.TryRead(frame.AsSpan(8), out var header));
                Assert.Equal(ScpResult.Ok, header.Result);
                replies.Add(header.Sequence);
            }
            else
            {
                Assert.Equal(live, channel);
                tracker.Observe(BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(10)));
            }
        }

        Assert.Equal(new ushort[] { 1, 2, 3, 4, 5 }, replies);
        Assert.Equal((0L, 0L), (tracker.Duplicated, tracker.Reordered));
        Assert.Equal((0L, 0L), (s.Counters.RepliesDropped, s.Counters.StalledClients));
        Assert.Equal(WebSocketState.Open, s.Client.State);
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_disconnected_and_its_sockets_freed()
    {
        await using var s = await ProxyScenario.StartAsync(
            Loopback.Board() with { SpikeTag = 1, SpikeRate = Rate },
            o => o with { SendQueueBytes = 64 << 10, StallTimeout = TimeSpan.FromSeconds(1) },
            receiveBufferBytes: 4096);
        await s.Client.OpenAsync(0, 0, s.ScpPort);
        await SetLiveTagAsync(s);

        s.Client.PauseReading();
        s.Board.StartSpikes();
        Assert.True(Loopback.WaitUntil(() =>
        {
            s.Server.Server.RunHousekeeping();
            return s.Counters.StalledClients == 1;
        }), "the stalled client was not disconnected");
        Assert.True(Loopback.WaitUntil(() => s.Server.Server.RegisteredSockets == 0 && s.Server.Server.WebSocketCount == 0));
        Assert.Equal(0, s.Counters.OpenChannels);
    }

    /// <summary>OPEN_UNBOUND and IPTAG SET (tag 1, STRIP + USE_SENDER) by MSG_TO; returns the channel live output arrives on.</summary>
    private static async Task<uint> SetLiveTagAsync(ProxyScenario s)
    {
        var (channel, _, _) = await s.Client.OpenUnboundAsync();
        var arg1 = new ScpIpTagArg1(1, ScpIpTagOperation.Set, Strip: true, UseSender: true).Encode();
        await s.Client.SendMessageToAsync(channel, 0, 0, s.ScpPort, Loopback.Request(ScpCommand.IpTag, 100, arg1, 0, 0));
        Assert.Equal(ScpError.None, ScpHeader.TryRead(s.Client.NextMessage(channel), out var reply));
        Assert.Equal(ScpResult.Ok, reply.Result);
        return channel;
    }
}
