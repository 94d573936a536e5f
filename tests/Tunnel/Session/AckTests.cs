using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>
/// When ACKs go (docs/tunnel-protocol.md §6): an owed ACK rides on the next frame written, goes alone after
/// <c>AckDelay</c> when nothing else is written, and goes at once when much has been read since the last one. So an SCP
/// reply and its ACK leave in one TCP segment, which proxies that do not set TCP_NODELAY do not hold back.
/// </summary>
public class AckTests
{
    [Fact]
    public async Task An_answer_carries_the_ack_of_the_request_without_any_timer()
    {
        var log = new TestLog();
        await using TunnelPair pair = await TunnelPair.StartAsync(
            serverOptions: new TunnelServerOptions { Key = TunnelPair.Key, Log = log, TimeProvider = new StoppedTimersTimeProvider() },
            clientOptions: new TunnelClientOptions { Key = TunnelPair.Key, Log = log, TimeProvider = new StoppedTimersTimeProvider() },
            log: log, echo: true);
        var replies = new RecordingHandler();
        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, replies);

        Assert.Equal(TunnelSendStatus.Sent, scp.TrySend(new byte[24]));

        await Bounded.Until(() => replies.Count == 1, "the echo");
        await Bounded.Until(() => pair.Client.Session.UnacknowledgedBytes == 0, "the request acknowledged by the echo's write");
        // The client owes an ACK for the echo, with nothing to send it with and a timer that never fires: still owed.
        Assert.True(pair.ServerSession.UnacknowledgedBytes > 0);
    }

    [Fact]
    public async Task An_ack_with_nothing_to_ride_on_goes_alone_after_the_delay()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());

        Assert.Equal(TunnelSendStatus.Sent, scp.TrySend(new byte[24]));

        await Bounded.Until(() => pair.Client.Session.UnacknowledgedBytes == 0, "the request acknowledged after the delay");
    }

    [Fact]
    public async Task A_bulk_sender_is_acknowledged_without_waiting_for_any_timer()
    {
        var log = new TestLog();
        await using TunnelPair pair = await TunnelPair.StartAsync(
            serverOptions: new TunnelServerOptions { Key = TunnelPair.Key, Log = log, TimeProvider = new StoppedTimersTimeProvider() }, log: log);
        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        const int count = 2_000; // 512 KiB of data: far more than the bytes after which an ACK goes at once

        for (int i = 0; i < count; i++)
        {
            Assert.Equal(TunnelSendStatus.Sent, scp.TrySend(new byte[256]));
        }

        await Bounded.Until(() => pair.ServerAcceptor.Opened.Any(o => o.Channel.Id == scp.Id) && pair.ServerAcceptor.For(scp.Id).Handler.Count == count, "every datagram");
        // What the server read since its last ACK is less than the threshold, else it would have acknowledged it.
        await Bounded.Until(() => pair.Client.Session.UnacknowledgedBytes < TunnelSession.AckAtOnceBytes, "the ACKs of the bulk",
            () => $"{pair.Client.Session.UnacknowledgedBytes} bytes unacknowledged");
    }
}
