using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>An idle tunnel pings and stays up; a peer that goes silent (a dead NAT) is detected and the client resumes elsewhere.</summary>
public class KeepaliveTests
{
    [Fact]
    public async Task An_idle_tunnel_pings_both_ways_and_stays_connected()
    {
        var log = new TestLog();
        // Pings every 20 ms; a dead-peer timeout far above any scheduling hiccup, so only a real failure could trip it.
        var server = new TunnelServerOptions { Key = TunnelPair.Key, Log = log, PingInterval = TimeSpan.FromMilliseconds(20), DeadPeerTimeout = TimeSpan.FromSeconds(20) };
        var client = new TunnelClientOptions { Key = TunnelPair.Key, Log = log, PingInterval = TimeSpan.FromMilliseconds(20), DeadPeerTimeout = TimeSpan.FromSeconds(20) };
        await using TunnelPair pair = await TunnelPair.StartAsync(serverOptions: server, clientOptions: client, log: log);

        await Bounded.Until(
            () => pair.Client.Session.GetCounters().PongsReceived >= 5 && pair.ServerSession.GetCounters().PongsReceived >= 5, "five keepalive round trips each way");
        Assert.Equal(1, pair.Client.Handshakes);
        Assert.False(log.Contains("DeadPeer"), log.ToString());
    }

    [Fact]
    public async Task A_silent_link_is_declared_dead_and_the_session_resumes_on_a_new_connection()
    {
        var log = new TestLog();
        await using var link = new FaultyLink();
        var client = new TunnelClientOptions
        {
            Key = TunnelPair.Key, Log = log, PingInterval = TimeSpan.FromMilliseconds(20), DeadPeerTimeout = TimeSpan.FromMilliseconds(200),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(5), ReconnectMaxDelay = TimeSpan.FromMilliseconds(20),
        };
        await using TunnelPair pair = await TunnelPair.StartAsync(link, link, clientOptions: client, log: log, echo: true);
        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());

        link.FreezeCurrent();
        Assert.Equal(TunnelSendStatus.Sent, scp.TrySend([42]));

        await Bounded.Until(() => scp.DatagramsReceived == 1, "the reply after the resume");
        Assert.True(log.Contains("DeadPeer"), log.ToString());
        Assert.True(pair.Client.Handshakes >= 2);
        Assert.Equal(1, pair.ServerAcceptor.Opened.Single().Handler.Count);
    }
}
