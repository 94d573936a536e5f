using System.Net;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>The reliable class across cut connections: byte-identical, exactly once, in order, however often it is cut.</summary>
public class ResumeTests
{
    [Fact]
    public async Task A_boot_cut_ten_times_arrives_byte_identical_and_each_packet_exactly_once()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        TunnelChannel boot = pair.Client.Session.OpenChannel(TunnelChannelKind.Boot, new TunnelTarget(IPAddress.Loopback, 54321), new RecordingHandler());
        byte[][] packets = Datagrams(seed: 1, count: 29, minLength: 1042, maxLength: 1042);

        int cuts = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            Assert.Equal(TunnelSendStatus.Sent, boot.TrySend(packets[i]));
            if (i % 3 == 1 && cuts < 10)
            {
                await Cut(pair, fromServer: cuts % 2 == 1, ++cuts);
            }
        }

        RecordingHandler board = await Delivered(pair.ServerAcceptor, boot.Id, packets.Length, pair.Client.Session);
        Assert.Equal(10, cuts);
        Assert.Equal(11, pair.Client.Handshakes);
        Assert.Equal(packets, board.Datagrams);
        Assert.Equal(0, pair.Client.Session.UnacknowledgedBytes);
        Assert.True(pair.Log.Contains("Aborted"), pair.Log.ToString());
    }

    [Fact]
    public async Task A_long_stream_both_ways_cut_ten_times_arrives_exactly_once_in_order() =>
        await LongStreamSurvivesCuts(new InMemoryTunnelTransport(), new InMemoryTunnelTransport(), memory: true);

    [Fact]
    public async Task A_long_stream_over_loopback_tcp_cut_ten_times_arrives_exactly_once_in_order()
    {
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0));
        var connector = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port);
        await LongStreamSurvivesCuts(listener, connector, memory: false);
    }

    [Fact]
    public async Task Boot_gaps_travel_with_the_packets()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        TunnelChannel boot = pair.Client.Session.OpenChannel(TunnelChannelKind.Boot, TunnelTarget.Default, new RecordingHandler());
        boot.TrySend([1]);
        await Task.Delay(20);
        boot.TrySend([2]);

        RecordingHandler board = await Delivered(pair.ServerAcceptor, boot.Id, 2, pair.Client.Session);
        Assert.Equal(0u, board.Gaps[0]);
        Assert.InRange(board.Gaps[1], 1u, uint.MaxValue); // some time passed; how much is not asserted
    }

    private static async Task LongStreamSurvivesCuts(ITunnelListener listener, ITunnelConnector connector, bool memory)
    {
        var log = new TestLog();
        // A small replay buffer so back-pressure is part of the test: ~1.6 MB each way through a 131 KB window.
        var serverOptions = new TunnelServerOptions { Key = TunnelPair.Key, Log = log, ReplayBufferBytes = 2 * (65_536 + 8) };
        TunnelClientOptions clientOptions = TunnelPair.ClientOptions(log);
        clientOptions = new TunnelClientOptions
        {
            Key = clientOptions.Key, Log = log, ReconnectMinDelay = clientOptions.ReconnectMinDelay,
            ReconnectMaxDelay = clientOptions.ReconnectMaxDelay, ReplayBufferBytes = 2 * (65_536 + 8),
        };
        await using TunnelPair pair = await TunnelPair.StartAsync(
            memory ? null : listener, memory ? null : connector, serverOptions, clientOptions, log);

        const int Count = 3000;
        byte[][] up = Datagrams(seed: 2, count: Count, minLength: 1, maxLength: 1100);
        byte[][] down = Datagrams(seed: 3, count: Count, minLength: 0, maxLength: 1100);
        TunnelChannel upChannel = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, new TunnelTarget(IPAddress.Loopback, 17893), new RecordingHandler());
        TunnelChannel downChannel = pair.ServerSession.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        Task sendUp = SendAll(upChannel, up);
        Task sendDown = SendAll(downChannel, down);

        // Each side's acceptor made the handler that receives the other side's channel.
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 1 && pair.ClientAcceptor.Opened.Length == 1, "both channels accepted");
        RecordingHandler toServer = pair.ServerAcceptor.Opened[0].Handler;
        RecordingHandler fromServer = pair.ClientAcceptor.Opened[0].Handler;

        for (int cut = 1; cut <= 10; cut++)
        {
            int threshold = cut * Count / 12;
            await Bounded.Until(() => toServer.Count >= threshold && fromServer.Count >= threshold, $"{threshold} datagrams before cut {cut}", () =>
                $"up {toServer.Count} down {fromServer.Count} client {pair.Client.Session.GetCounters()} server {pair.ServerSession.GetCounters()} {log}");
            await Cut(pair, fromServer: cut % 2 == 0, cut);
        }

        await Bounded.Wait(Task.WhenAll(sendUp, sendDown), "every send to be queued");
        await Bounded.Until(() => toServer.Count >= Count && fromServer.Count >= Count, "every datagram");
        await Bounded.Until(
            () => pair.Client.Session.UnacknowledgedBytes == 0 && pair.ServerSession.UnacknowledgedBytes == 0, "every frame acknowledged");

        Assert.Equal(up, toServer.Datagrams);
        Assert.Equal(down, fromServer.Datagrams);
        Assert.Equal(11, pair.Client.Handshakes);
    }

    private static async Task SendAll(TunnelChannel channel, byte[][] datagrams)
    {
        foreach (byte[] datagram in datagrams)
        {
            Assert.Equal(TunnelSendStatus.Sent, await channel.SendAsync(datagram));
        }
    }

    /// <summary>Cuts the live connection from one end and waits until the client has resumed (handshake number <paramref name="cut"/> + 1).</summary>
    internal static async Task Cut(TunnelPair pair, bool fromServer, int cut)
    {
        await Bounded.Until(() => pair.Client.Session.IsConnected && pair.Server.Sessions.Count == 1 && pair.ServerSession.IsConnected, "a live connection to cut");
        if (fromServer)
        {
            pair.ServerSession.AbortConnection();
        }
        else
        {
            pair.Client.Session.AbortConnection();
        }

        await Bounded.Until(() => pair.Client.Handshakes >= cut + 1 && pair.Client.Session.IsConnected, $"resume after cut {cut}");
    }

    internal static async Task<RecordingHandler> Delivered(RecordingAcceptor acceptor, ushort channel, int count, TunnelSession sender)
    {
        await Bounded.Until(() => acceptor.Opened.Any(o => o.Channel.Id == channel) && acceptor.For(channel).Handler.Count >= count, $"{count} datagrams");
        await Bounded.Until(() => sender.UnacknowledgedBytes == 0, "every frame acknowledged");
        return acceptor.For(channel).Handler;
    }

    internal static byte[][] Datagrams(int seed, int count, int minLength, int maxLength)
    {
        var rng = new Random(seed);
        var datagrams = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            datagrams[i] = new byte[rng.Next(minLength, maxLength + 1)];
            rng.NextBytes(datagrams[i]);
        }

        return datagrams;
    }
}
