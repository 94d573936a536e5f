using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Emulator;

public class BoardEmulatorFaultTests
{
    [Fact]
    public void One_in_seven_dropped_is_recovered_by_client_retries()
    {
        using var board = new BoardEmulator(Loopback.Board() with { DropOneInN = 7 });
        // A short per-attempt timeout keeps the test quick; the count of attempts is rig's.
        using var client = new ScpClient(board.ScpEndPoint) { Timeout = TimeSpan.FromMilliseconds(100) };

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal("SC&MP/SpiNNaker", client.Version().Name);
        }

        // Every send reached the board (a late reply can leave a retransmission still in flight: wait for it).
        var sends = 100 + client.Retransmissions;
        Assert.True(Loopback.WaitUntil(() => board.Counters.ScpDatagrams == sends));
        var dropped = board.Counters.Dropped(ScpDropReason.FaultInjection);
        Assert.Equal(sends / 7, dropped);
        Assert.True(dropped >= 14);
        Assert.True(client.Retransmissions >= dropped);
    }

    [Fact]
    public void Delayed_replies_hold_their_transient_tags_so_more_than_8_outstanding_are_dropped()
    {
        using var board = new BoardEmulator(Loopback.Board() with { ReplyDelay = TimeSpan.FromSeconds(1) });
        using var raw = new RawUdp();

        for (ushort seq = 0; seq < 12; seq++)
        {
            raw.Send(Loopback.Request(ScpCommand.Ver, seq), board.ScpEndPoint);
        }

        var answered = new HashSet<ushort>();
        for (var i = 0; i < 8; i++)
        {
            var reply = raw.Receive(out var from);
            Assert.Equal(board.ScpEndPoint, from);
            Assert.Equal(ScpError.None, ScpHeader.TryRead(reply, out var header));
            answered.Add(header.Sequence);
        }

        // The first 8 took the whole pool; the 4 after them found it exhausted, as on a real board.
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (ushort)i), answered.Order());
        Assert.Equal(4, board.Counters.Dropped(ScpDropReason.TransientPoolExhausted));
        Assert.True(Loopback.WaitUntil(() => board.Tags.TransientInUse == 0));
        Assert.Equal(8, board.Counters.ScpReplies);
    }
}
