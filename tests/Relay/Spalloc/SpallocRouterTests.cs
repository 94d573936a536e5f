using System.Buffers.Binary;
using System.Net;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary><c>DELETE jobs/{id}/router</c>: spinnman's reset_routing() through SpallocTransceiver.</summary>
public class SpallocRouterTests
{
    [Fact]
    public async Task Every_chip_of_the_board_is_cleared_and_the_filters_are_written()
    {
        await using var s = await ProxyScenario.StartAsync();

        using var response = await Reset(s, "?2=12345&3=-1");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(48, s.Board.Counters.RouterTablesCleared);
        Assert.Equal(48 * 4, s.Board.Counters.Results(ScpResult.Ok));
        using var window = new ScpWindow(s.Board.ScpEndPoint);
        var words = new byte[16];
        window.Read(0, 0, 0xF100_002C, words.AsMemory(0, 4));
        window.Read(0, 0, 0xE100_0208, words.AsMemory(4, 8));
        Assert.Equal([0xFFFF_FFFFu, 12345u, 0xFFFF_FFFFu], Enumerable.Range(0, 3).Select(i => BinaryPrimitives.ReadUInt32LittleEndian(words.AsSpan(4 * i))));
        Assert.Equal(1, s.Server.Server.Memory.RoutingResets);
    }

    [Theory]
    [InlineData("?16=1", "'16' is not a diagnostic filter position (0 to 15)")]
    [InlineData("?x=1", "'x' is not a diagnostic filter position")]
    [InlineData("?-1=1", "'-1' is not a diagnostic filter position")]
    [InlineData("?2=abc", "filter 2 must be one 32-bit integer")]
    [InlineData("?2=1&2=2", "filter 2 must be one 32-bit integer")]
    [InlineData("?2=4294967296", "filter 2 must be one 32-bit integer")]
    public async Task Bad_filters_are_refused_before_any_board_traffic(string query, string expected)
    {
        await using var s = await ProxyScenario.StartAsync();

        using var response = await Reset(s, query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, s.Board.Counters.ScpDatagrams);
    }

    [Fact]
    public async Task It_needs_delete_and_the_csrf_header()
    {
        await using var s = await ProxyScenario.StartAsync();

        using var get = await s.Http.GetAsync($"{s.JobUrl}/router");
        using var noCsrf = await s.Http.SendAsync(s.Http.Request(HttpMethod.Delete, $"{s.JobUrl}/router", csrf: false));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, noCsrf.StatusCode);
        Assert.Equal(0, s.Board.Counters.ScpDatagrams);
    }

    [Fact]
    public async Task A_chip_the_board_cannot_reach_is_skipped_and_named()
    {
        using var board = new RawUdp();
        await using var s = await ProxyScenario.StartAsync(options: o => o with { BoardScpPort = board.LocalEndPoint.Port });
        using var stop = new CancellationTokenSource();
        var answering = Task.Run(() =>
        {
            // Chip (7, 7) is dead: the Ethernet chip answers RC_P2P_NOREPLY for it; every other request is OK. Every
            // datagram is answered until the test ends (a request resent after a late reply arrives twice).
            while (!stop.IsCancellationRequested)
            {
                if (!board.Socket.Poll(TimeSpan.FromMilliseconds(50), System.Net.Sockets.SelectMode.SelectRead))
                {
                    continue;
                }

                var request = board.Receive(out var from);
                ScpMessage.TryRead(request, 3, out var m);
                var rc = (m.Header.DestX, m.Header.DestY) == (7, 7) ? ScpResult.P2PNoReply : ScpResult.Ok;
                var reply = new byte[64];
                ScpMessage.TryWriteResponse(reply, m.Header.ToReply(), rc, m.Sequence, [], [], out var n);
                board.Send(reply[..n], from);
            }
        });

        using var response = await Reset(s, "");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains("1 chip(s) their board could not reach were skipped: (7, 7)", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await stop.CancelAsync();
        await answering.WaitAsync(Loopback.Limit);
    }

    [Fact]
    public void A_board_s_chips_are_its_48_and_every_request_of_the_reset_is_as_spinnman_sends_it()
    {
        using var board = new RawUdp();
        using var window = new ScpWindow(board.LocalEndPoint);
        var allocation = new FastSpinnRelay.Relay.Spalloc.Server.Internal.JobAllocation(
            [0], [new FastSpinnRelay.Relay.Spalloc.SpallocBoard(0, 0, 0, 0, 0, IPAddress.Loopback, null)], 0, 0, 8, 8, 1);
        var chips = allocation.ChipsOf(allocation.Boards[0]);
        Assert.Equal(48, chips.Distinct().Count());
        Assert.DoesNotContain((7, 0), chips.Select(c => ((int)c.X, (int)c.Y)));

        var reset = new ScpRoutingReset(window, chips, new Dictionary<int, uint> { [5] = 7 });

        Assert.Equal(48 * 3, reset.Count);
        Assert.Equal(new ScpWindowRequest(0, 0, ScpCommand.Rtr, 0, 0, 0, default), reset.Request(0));
        Assert.Equal((ScpCommand.Write, 0xF100_002Cu, 4u), (reset.Request(1).Command, reset.Request(1).Arg1, reset.Request(1).Arg2));
        Assert.Equal((ScpCommand.Write, 0xE100_0214u), (reset.Request(2).Command, reset.Request(2).Arg1));
        Assert.Equal([7, 0, 0, 0], reset.Request(2).Data.ToArray());
        Assert.Equal((chips[1].X, chips[1].Y), (reset.Request(3).X, reset.Request(3).Y));
    }

    private static Task<HttpResponseMessage> Reset(ProxyScenario s, string query) =>
        s.Http.SendAsync(s.Http.Request(HttpMethod.Delete, $"{s.JobUrl}/router{query}", csrf: true));
}
