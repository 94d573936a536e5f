using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>Real work through the proxy: SCP, a complete boot, and live output via an IP tag pointing at an unbound channel.</summary>
public class SpallocProxyBoardTests
{
    [Fact]
    public async Task Scp_version_write_and_read_through_a_channel()
    {
        await using var s = await ProxyScenario.StartAsync();
        var channel = await s.Client.OpenAsync(0, 0, s.ScpPort);
        using var bridge = new ChannelBridge(s.Client, channel);
        using var scp = new ScpClient(bridge.LocalEndPoint);

        var version = scp.Version();
        Assert.False(version.IsBooted);

        var data = new byte[3000];
        new Random(5).NextBytes(data);
        scp.Write(0x7000_0000, data);
        var back = new byte[data.Length];
        scp.Read(0x7000_0000, back);
        Assert.Equal(data, back);
        Assert.True(s.Counters.DatagramsToBoards >= 3);
        Assert.True(s.Counters.DatagramsFromBoards >= 3);
    }

    [Fact]
    public async Task A_complete_boot_through_a_channel_to_the_boot_port()
    {
        await using var s = await ProxyScenario.StartAsync();
        var bootChannel = await s.Client.OpenAsync(0, 0, s.BootPort);
        var scpChannel = await s.Client.OpenAsync(0, 0, s.ScpPort);
        using var bootBridge = new ChannelBridge(s.Client, bootChannel);
        using var scpBridge = new ChannelBridge(s.Client, scpChannel);

        var image = BootSender.CreateSyntheticImage(seed: 11);
        using (var boot = new BootSender(bootBridge.LocalEndPoint) { Gap = TimeSpan.FromMilliseconds(1) })
        {
            await boot.SendAsync(image);
        }

        Assert.True(Loopback.WaitUntil(() => s.Board.IsBooted), "the board did not report a completed boot");
        Assert.Equal(image, s.Board.CopyBootImage());
        using var scp = new ScpClient(scpBridge.LocalEndPoint);
        Assert.True(scp.Version().IsBooted);
    }

    [Fact]
    public async Task Iptag_set_by_msg_to_on_an_unbound_channel_brings_the_live_output_in_order()
    {
        // 1,000 packets (258 KB) fit in the session socket's 1 MiB receive buffer and the websocket send queue even if
        // the gateway got no CPU for the whole burst: on a loaded machine 5,000 could overflow the kernel buffer, so
        // "none lost" would depend on scheduling.
        const int count = 1000;
        await using var s = await ProxyScenario.StartAsync(Loopback.Board() with { SpikeTag = 1, SpikeRate = 20_000, SpikeLimit = count });
        var (channel, _, _) = await s.Client.OpenUnboundAsync();

        // What spinnman's EIEIO listener does: IPTAG SET (STRIP + USE_SENDER) sent with MSG_TO on the same channel.
        var arg1 = new ScpIpTagArg1(1, ScpIpTagOperation.Set, Strip: true, UseSender: true).Encode();
        await s.Client.SendMessageToAsync(channel, 0, 0, s.ScpPort, Loopback.Request(ScpCommand.IpTag, 3, arg1, 0, 0));
        Assert.Equal(ScpError.None, ScpHeader.TryRead(s.Client.NextMessage(channel), out var reply));
        Assert.Equal(ScpResult.Ok, reply.Result);

        s.Board.StartSpikes();
        var tracker = new SpikeSequenceTracker();
        for (var i = 0; i < count; i++)
        {
            var packet = s.Client.NextMessage(channel);
            Assert.Equal(258, packet.Length);
            tracker.Observe(BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(2)));
        }

        Assert.Equal((count, 0L, 0L, 0L), (tracker.Received, tracker.Lost, tracker.Duplicated, tracker.Reordered));
        Assert.Equal(0, s.Counters.LiveFramesDropped);
        Assert.Equal(0, s.Counters.StrangerDatagrams);
    }

    [Fact]
    public async Task Datagrams_from_hosts_that_are_not_boards_of_the_job_are_dropped_on_unbound_channels()
    {
        await using var s = await ProxyScenario.StartAsync();
        var (channel, _, port) = await s.Client.OpenUnboundAsync();

        // 127.0.0.2 is on this machine but is not the board's address.
        using var stranger = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        stranger.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Parse("127.0.0.2"), 0));
        stranger.SendTo(new byte[] { 1, 2, 3 }, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        Assert.True(Loopback.WaitUntil(() => s.Counters.StrangerDatagrams == 1));

        using var board = new RawUdp();
        board.Send([9, 9], new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        Assert.Equal(new byte[] { 9, 9 }, s.Client.NextMessage(channel));
    }
}
