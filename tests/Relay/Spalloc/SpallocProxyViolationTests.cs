using System.Net.WebSockets;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>Protocol abuse closes the websocket with a status and a reason, and frees its channels (protocols.md §7.3).</summary>
public class SpallocProxyViolationTests
{
    public static TheoryData<string, string> Abuse => new()
    {
        { "00000000 01000000 00000000 00000000 E5450000 00", "OPEN frame of 21 bytes has the wrong length" },
        { "00000000 01000000 00000000 00000000", "OPEN frame of 16 bytes has the wrong length" },
        { "01000000 01000000", "CLOSE frame of 8 bytes has the wrong length" },
        { "03000000 01000000 00000000", "OPEN_UNBOUND frame of 12 bytes has the wrong length" },
        { "02000000", "MSG frame of 4 bytes is too short" },
        { "04000000 01000000 00000000", "MSG_TO frame of 12 bytes is too short" },
        { "0500", "message of 2 bytes has no op word" },
        { "05000000 01000000 6F6F7073", "ERROR is not sent by clients" },
        { "06000000 01000000", "unknown op 6" },
        { "FFFFFFFF", "unknown op 4294967295" },
    };

    [Theory]
    [MemberData(nameof(Abuse))]
    public async Task Malformed_frames_close_with_1003_and_a_reason(string frame, string reason)
    {
        await using var s = await ProxyScenario.StartAsync();
        await s.Client.OpenAsync(0, 0, s.ScpPort);
        await s.Client.OpenUnboundAsync();
        await s.Client.SendAsync(Hex.Parse(frame));
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await s.Client.WaitClosedAsync());
        Assert.Equal(reason, s.Client.CloseDescription);
        Assert.True(Loopback.WaitUntil(() => s.Server.Server.RegisteredSockets == 0 && s.Counters.OpenChannels == 0));
        Assert.Equal(1, s.Counters.ProtocolViolations);
    }

    [Fact]
    public async Task Msg_to_an_unknown_chip_closes_the_websocket()
    {
        await using var s = await ProxyScenario.StartAsync();
        var (channel, _, _) = await s.Client.OpenUnboundAsync();
        await s.Client.SendMessageToAsync(channel, 8, 4, s.ScpPort, Loopback.Request(ScpCommand.Ver, 1));
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await s.Client.WaitClosedAsync());
        Assert.Equal("MSG_TO to (8, 4), which is not an Ethernet chip of this job", s.Client.CloseDescription);
        Assert.Equal(0, s.Board.Counters.ScpDatagrams);
    }

    [Fact]
    public async Task Msg_to_with_a_bad_port_closes_the_websocket()
    {
        await using var s = await ProxyScenario.StartAsync();
        var (channel, _, _) = await s.Client.OpenUnboundAsync();
        await s.Client.SendAsync(Hex.Parse($"04000000 {Convert.ToHexString(BitConverter.GetBytes(channel))} 00000000 00000000 00000000 AABB"));
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await s.Client.WaitClosedAsync());
        Assert.Equal("MSG_TO with bad port number 0", s.Client.CloseDescription);
    }

    [Fact]
    public async Task Msg_to_on_a_connected_channel_closes_the_websocket()
    {
        await using var s = await ProxyScenario.StartAsync();
        var channel = await s.Client.OpenAsync(0, 0, s.ScpPort);
        await s.Client.SendMessageToAsync(channel, 0, 0, s.ScpPort, Loopback.Request(ScpCommand.Ver, 1));
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await s.Client.WaitClosedAsync());
        Assert.Equal(0, s.Board.Counters.ScpDatagrams);
    }

    [Fact]
    public async Task A_text_message_closes_with_1003_and_an_oversized_message_with_1009()
    {
        await using (var s = await ProxyScenario.StartAsync())
        {
            await s.Client.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text);
            Assert.Equal(WebSocketCloseStatus.InvalidMessageType, await s.Client.WaitClosedAsync());
        }

        await using (var s = await ProxyScenario.StartAsync())
        {
            await s.Client.SendAsync(new byte[70_000]);
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, await s.Client.WaitClosedAsync());
        }
    }

    [Fact]
    public async Task Closing_the_websocket_frees_every_channel_socket()
    {
        await using var s = await ProxyScenario.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            await s.Client.OpenAsync(0, 0, s.ScpPort);
            await s.Client.OpenUnboundAsync();
        }

        Assert.True(Loopback.WaitUntil(() => s.Server.Server.RegisteredSockets == 10));
        Assert.Equal(10, s.Counters.OpenChannels);
        await s.Client.CloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, s.Client.CloseStatus);
        Assert.True(Loopback.WaitUntil(() => s.Server.Server.RegisteredSockets == 0 && s.Counters.OpenChannels == 0 && s.Server.Server.WebSocketCount == 0));
        Assert.Equal((1L, 1L), (s.Counters.WebSocketsAccepted, s.Counters.WebSocketsClosed));
    }

    [Fact]
    public async Task An_abruptly_dropped_connection_frees_every_channel_socket()
    {
        await using var s = await ProxyScenario.StartAsync();
        await s.Client.OpenAsync(0, 0, s.ScpPort);
        await s.Client.OpenUnboundAsync();
        await s.Client.DisposeAsync();
        Assert.True(Loopback.WaitUntil(() => s.Server.Server.RegisteredSockets == 0 && s.Counters.OpenChannels == 0 && s.Server.Server.WebSocketCount == 0));
    }

    [Fact]
    public async Task Too_many_channels_get_an_error_not_a_socket()
    {
        await using var s = await ProxyScenario.StartAsync(options: o => o with { MaxChannelsPerWebSocket = 2 });
        await s.Client.OpenAsync(0, 0, s.ScpPort);
        await s.Client.OpenUnboundAsync();
        await s.Client.SendAsync(Hex.Parse($"00000000 63000000 00000000 00000000 {Convert.ToHexString(BitConverter.GetBytes(s.ScpPort))}"));
        Assert.Equal([.. Hex.Parse("05000000 63000000"), .. "too many channels open on this websocket (limit 2)"u8.ToArray()], s.Client.NextFrame());
        Assert.Equal(2, s.Counters.OpenChannels);
    }
}
