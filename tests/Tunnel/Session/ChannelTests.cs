using System.Net;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>Many flows over one tunnel, each kept apart; opening, refusing, closing and limits.</summary>
public class ChannelTests
{
    [Fact]
    public async Task Many_applications_boot_and_two_live_streams_share_one_tunnel_without_mixing()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync(echo: true);
        const int Applications = 100;
        const int PerApplication = 20;
        TunnelChannel[] scp = [.. Enumerable.Range(0, Applications).Select(_ =>
            pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, new TunnelTarget(IPAddress.Loopback, 17893), new RecordingHandler()))];
        TunnelChannel boot = pair.Client.Session.OpenChannel(TunnelChannelKind.Boot, new TunnelTarget(IPAddress.Loopback, 54321), new RecordingHandler());
        TunnelChannel[] live = [.. Enumerable.Range(0, 2).Select(i =>
            pair.Client.Session.OpenChannel(TunnelChannelKind.EieioOutput, new TunnelTarget(null, (ushort)(17895 + i)), new RecordingHandler()))];

        for (int round = 0; round < PerApplication; round++)
        {
            for (int app = 0; app < Applications; app++)
            {
                Assert.Equal(TunnelSendStatus.Sent, scp[app].TrySend([(byte)app, (byte)round]));
            }

            boot.TrySend([0xB0, (byte)round]);
            live[0].TrySend([0xE0, (byte)round]);
            live[1].TrySend([0xE1, (byte)round]);
        }

        await Bounded.Until(() => scp.All(c => c.DatagramsReceived == PerApplication) && boot.DatagramsReceived == PerApplication
            && live.All(c => c.DatagramsReceived == PerApplication), "every echo");
        for (int app = 0; app < Applications; app++)
        {
            Assert.Equal([.. Enumerable.Range(0, PerApplication).Select(r => new byte[] { (byte)app, (byte)r })], ((RecordingHandler)scp[app].Handler!).Datagrams);
        }

        Assert.Equal([.. Enumerable.Range(0, PerApplication).Select(r => new byte[] { 0xE1, (byte)r })], ((RecordingHandler)live[1].Handler!).Datagrams);
        Assert.Equal(Applications + 3, pair.ServerSession.OpenChannelCount);
        Assert.Equal(
            [TunnelChannelKind.Scp, TunnelChannelKind.Boot, TunnelChannelKind.EieioOutput],
            pair.ServerAcceptor.Opened.Select(o => o.Channel.Kind).Distinct().Order());
        Assert.Equal(new TunnelTarget(null, 17896), pair.ServerAcceptor.Opened.Last().Channel.Target);
        Assert.All(pair.ServerAcceptor.Opened, o => Assert.Equal(1, o.Channel.Id % 2 + 1)); // client ids are even
    }

    [Fact]
    public async Task A_refused_channel_is_closed_with_ChannelRejected()
    {
        var transport = new Transport.InMemoryTunnelTransport();
        var log = new TestLog();
        var acceptor = new RecordingAcceptor(echo: false, TunnelChannelKind.Boot);
        await using var server = new TunnelServer(TunnelPair.ServerOptions(log), transport, acceptor);
        server.Start();
        await using var client = new TunnelClient(TunnelPair.ClientOptions(log), transport);
        client.Start();
        var handler = new RecordingHandler();

        TunnelChannel boot = client.Session.OpenChannel(TunnelChannelKind.Boot, TunnelTarget.Default, handler);
        boot.TrySend([1, 2, 3]);

        await Bounded.Until(() => handler.ClosedWith == TunnelErrorCode.ChannelRejected, "the refusal");
        Assert.False(boot.IsOpen);
        Assert.Equal(TunnelSendStatus.Closed, boot.TrySend([4]));
        Assert.Empty(acceptor.Opened);
        await Bounded.Until(() => server.Sessions.Single().GetCounters().DatagramsForClosedChannels == 1, "the early datagram to be dropped and counted");
    }

    [Fact]
    public async Task A_peer_close_reaches_the_handler_and_later_data_is_dropped()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        var handler = new RecordingHandler();
        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, handler);
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 1, "the channel to open");

        pair.ServerAcceptor.Opened[0].Channel.Close(TunnelErrorCode.None);

        await Bounded.Until(() => handler.ClosedWith == TunnelErrorCode.None, "the close");
        Assert.False(scp.IsOpen);
        Assert.Equal(0, pair.Client.Session.OpenChannelCount);
        Assert.Equal(0, pair.ServerSession.OpenChannelCount);
    }

    [Fact]
    public async Task The_local_channel_limit_refuses_to_open_more()
    {
        // Not started: channels can be opened before any connection, and nothing can close them meanwhile.
        await using var client = new TunnelClient(new TunnelClientOptions { Key = TunnelPair.Key, MaxChannels = 2 }, new Transport.InMemoryTunnelTransport());
        client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());

        Assert.Throws<InvalidOperationException>(() => client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler()));
    }

    [Fact]
    public async Task The_peer_channel_limit_closes_the_extra_channel_with_ChannelLimit()
    {
        var log = new TestLog();
        var serverOptions = new TunnelServerOptions { Key = TunnelPair.Key, Log = log, MaxChannels = 1 };
        await using TunnelPair pair = await TunnelPair.StartAsync(serverOptions: serverOptions, log: log);
        var first = new RecordingHandler();
        var second = new RecordingHandler();

        pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, first);
        pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, second);

        await Bounded.Until(() => second.ClosedWith == TunnelErrorCode.ChannelLimit, "the server's limit");
        Assert.Null(first.ClosedWith);
        Assert.Equal(1, pair.ServerSession.OpenChannelCount);
    }
}
