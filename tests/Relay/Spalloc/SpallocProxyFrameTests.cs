using System.Buffers.Binary;
using System.Net;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>Every op both ways, byte for byte, through a real server to the emulated board (protocols.md §7.2).</summary>
public class SpallocProxyFrameTests
{
    [Fact]
    public async Task Open_msg_and_close_are_byte_exact_both_ways()
    {
        await using var s = await ProxyScenario.StartAsync();
        var port = (uint)s.ScpPort;

        // OPEN: 0 | corr | x | y | port  ->  0 | corr | channel
        await s.Client.SendAsync(Hex.Parse($"00000000 04030201 00000000 00000000 {Le(port)}"));
        var open = s.Client.NextFrame();
        Assert.Equal(12, open.Length);
        Assert.Equal(Hex.Parse("00000000 04030201"), open[..8]);
        var channel = BinaryPrimitives.ReadUInt32LittleEndian(open.AsSpan(8));
        Assert.NotEqual(0u, channel);

        // MSG: 2 | channel | the UDP payload, exactly as a direct client would send and receive it.
        var request = Loopback.Request(ScpCommand.Ver, 7);
        using var direct = new RawUdp();
        direct.Send(request, s.Board.ScpEndPoint);
        var directReply = direct.Receive();

        await s.Client.SendAsync([.. Hex.Parse($"02000000 {Le(channel)}"), .. request]);
        var message = s.Client.NextFrame();
        Assert.Equal(Hex.Parse($"02000000 {Le(channel)}"), message[..8]);
        Assert.Equal(directReply, message[8..]);

        // CLOSE: 1 | corr | channel  ->  1 | corr | channel, and 0 once it is no longer open.
        await s.Client.SendAsync(Hex.Parse($"01000000 05000000 {Le(channel)}"));
        Assert.Equal(Hex.Parse($"01000000 05000000 {Le(channel)}"), s.Client.NextFrame());
        await s.Client.SendAsync(Hex.Parse($"01000000 06000000 {Le(channel)}"));
        Assert.Equal(Hex.Parse("01000000 06000000 00000000"), s.Client.NextFrame());
        Assert.True(Loopback.WaitUntil(() => s.Server.Server.RegisteredSockets == 0));
    }

    [Fact]
    public async Task Open_unbound_and_msg_to_are_byte_exact_and_the_reply_names_a_reachable_port()
    {
        await using var s = await ProxyScenario.StartAsync();

        // OPEN_UNBOUND: 3 | corr  ->  3 | corr | channel | IPv4 (network order) | port
        await s.Client.SendAsync(Hex.Parse("03000000 2A000000"));
        var reply = s.Client.NextFrame();
        Assert.Equal(20, reply.Length);
        Assert.Equal(Hex.Parse("03000000 2A000000"), reply[..8]);
        var channel = BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(8));
        Assert.NotEqual(0u, channel);
        Assert.Equal(new byte[] { 127, 0, 0, 1 }, reply[12..16]);
        var port = (int)BinaryPrimitives.ReadUInt32LittleEndian(reply.AsSpan(16));
        Assert.InRange(port, 1, 65535);

        // MSG_TO: 4 | channel | x | y | port | payload  ->  the board's reply arrives as MSG on the same channel.
        var request = Loopback.Request(ScpCommand.Ver, 9);
        await s.Client.SendAsync([.. Hex.Parse($"04000000 {Le(channel)} 00000000 00000000 {Le((uint)s.ScpPort)}"), .. request]);
        var message = s.Client.NextFrame();
        Assert.Equal(Hex.Parse($"02000000 {Le(channel)}"), message[..8]);
        Assert.Equal(ScpError.None, ScpHeader.TryRead(message[8..], out var header));
        Assert.Equal((ScpResult.Ok, (ushort)9), (header.Result, header.Sequence));

        // A datagram from a board host (127.0.0.1) to the reported port arrives as MSG too.
        using var board = new RawUdp();
        board.Send([0x11, 0x22, 0x33], new IPEndPoint(IPAddress.Loopback, port));
        Assert.Equal(Hex.Parse($"02000000 {Le(channel)} 112233"), s.Client.NextFrame());
    }

    [Fact]
    public async Task Failed_open_answers_error_with_the_reference_texts()
    {
        await using var s = await ProxyScenario.StartAsync();

        // ERROR: 5 | corr | UTF-8 text
        await s.Client.SendAsync(Hex.Parse($"00000000 07000000 01000000 01000000 {Le((uint)s.ScpPort)}"));
        Assert.Equal([.. Hex.Parse("05000000 07000000"), .. "unrecognised ethernet chip"u8.ToArray()], s.Client.NextFrame());

        await s.Client.SendAsync(Hex.Parse("00000000 08000000 00000000 00000000 00000000"));
        Assert.Equal([.. Hex.Parse("05000000 08000000"), .. "bad port number"u8.ToArray()], s.Client.NextFrame());

        await s.Client.SendAsync(Hex.Parse("00000000 09000000 00000000 00000000 00000100"));
        Assert.Equal([.. Hex.Parse("05000000 09000000"), .. "bad port number"u8.ToArray()], s.Client.NextFrame());

        // The websocket stays usable after an ERROR.
        Assert.NotEqual(0u, await s.Client.OpenAsync(0, 0, s.ScpPort));
        Assert.Equal(0, s.Counters.ProtocolViolations);
    }

    [Fact]
    public async Task Channel_ids_come_from_one_server_wide_counter_and_are_never_shared_between_websockets()
    {
        await using var s = await ProxyScenario.StartAsync();
        await using var second = await ProxyClient.ConnectAsync(await s.Http.ProxyUriAsync(s.JobUrl), s.Http.Cookies);
        var ids = new List<uint>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await s.Client.OpenAsync(0, 0, s.ScpPort));
            ids.Add(await second.OpenAsync(0, 0, s.ScpPort));
            ids.Add((await second.OpenUnboundAsync()).Channel);
        }

        Assert.DoesNotContain(0u, ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());

        // A channel of one websocket is unknown on the other: MSG there is dropped and counted, CLOSE answers 0.
        await second.SendMessageAsync(ids[0], Loopback.Request(ScpCommand.Ver, 1));
        Assert.True(Loopback.WaitUntil(() => s.Counters.UnroutableMessages == 1));
        await second.SendAsync(Hex.Parse($"01000000 01000000 {Le(ids[0])}"));
        Assert.Equal(Hex.Parse("01000000 01000000 00000000"), second.NextFrame());
    }

    [Fact]
    public async Task Msg_on_an_unbound_channel_and_on_unknown_channels_is_dropped_and_counted()
    {
        await using var s = await ProxyScenario.StartAsync();
        var (unbound, _, _) = await s.Client.OpenUnboundAsync();
        await s.Client.SendMessageAsync(unbound, Loopback.Request(ScpCommand.Ver, 1));
        await s.Client.SendMessageAsync(999_999, Loopback.Request(ScpCommand.Ver, 2));
        await s.Client.SendMessageToAsync(999_998, 0, 0, s.ScpPort, Loopback.Request(ScpCommand.Ver, 3));
        Assert.True(Loopback.WaitUntil(() => s.Counters.UnroutableMessages == 3));
        Assert.Equal(0, s.Board.Counters.ScpDatagrams);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, s.Client.State);
    }

    private static string Le(uint value) => Convert.ToHexString(BitConverter.GetBytes(value));
}
