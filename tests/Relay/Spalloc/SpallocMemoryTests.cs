using System.Net;
using System.Net.Http.Headers;
using FastSpinnRelay.Relay.Spalloc.Server.Internal;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary><c>jobs/{id}/memory</c> as spinnman's SpallocTransceiver uses it: POST writes the body, GET reads bytes back.</summary>
public class SpallocMemoryTests
{
    [Theory]
    [InlineData(0x6000_0000L, 200_001, false)]
    [InlineData(0x6000_0001L, 70_000, true)] // a body of unknown length (chunked), an unaligned address
    [InlineData(0x6000_0000L, 4, false)]
    public async Task What_is_posted_reads_back_identical(long address, int length, bool chunked)
    {
        await using var s = await ProxyScenario.StartAsync();
        var data = new byte[length];
        new Random(length).NextBytes(data);

        using (var write = s.Http.Request(HttpMethod.Post, $"{s.JobUrl}/memory?x=0&y=0&address={address}", csrf: true))
        {
            write.Content = chunked ? new StreamContent(new UnseekableStream(data)) : new ByteArrayContent(data);
            write.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var written = await s.Http.SendAsync(write);
            Assert.Equal(HttpStatusCode.Accepted, written.StatusCode);
        }

        using var read = await s.Http.GetAsync($"{s.JobUrl}/memory?x=0&y=0&address={address}&size={length}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("application/octet-stream", read.Content.Headers.ContentType?.MediaType);
        Assert.Equal(data, await read.Content.ReadAsByteArrayAsync());
        var memory = s.Server.Server.Memory;
        // The read is counted once its last block is handed to the response, which can be after the client has it all.
        Assert.True(Loopback.WaitUntil(() => memory.Reads == 1));
        Assert.Equal((1L, (long)length, 1L, (long)length, 0L), (memory.Writes, memory.BytesWritten, memory.Reads, memory.BytesRead, memory.Failed));
    }

    [Fact]
    public async Task A_write_through_a_cookie_session_needs_the_csrf_header_and_other_users_get_nothing()
    {
        await using var s = await ProxyScenario.StartAsync();
        using (var write = s.Http.Request(HttpMethod.Post, $"{s.JobUrl}/memory?address=0", csrf: false))
        {
            write.Content = new ByteArrayContent([1, 2, 3, 4]);
            using var refused = await s.Http.SendAsync(write);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using var bob = await s.Server.LoginAsync(SpallocTestServer.BobToken);
        using var other = await bob.GetAsync($"{s.JobUrl}/memory?address=0&size=4");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Contains("belongs to another user", await other.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var anonymous = new HttpClient();
        using var nobody = await anonymous.GetAsync($"{s.JobUrl}/memory?address=0&size=4");
        Assert.Equal(HttpStatusCode.Unauthorized, nobody.StatusCode);
        Assert.Equal(0, s.Board.Counters.ScpDatagrams);
    }

    [Theory]
    [InlineData("size=4", "address is required")]
    [InlineData("address=0", "size is required")]
    [InlineData("address=0&size=0", "size must be one integer from 1 to 134217728")]
    [InlineData("address=0&size=134217729", "size must be one integer")]
    [InlineData("address=-1&size=4", "address must be one integer from 0 to 4294967295")]
    [InlineData("address=4294967296&size=4", "address must be one integer")]
    [InlineData("address=0x100&size=4", "address must be one integer")]
    [InlineData("address=0&size=4&x=8", "x must be one integer from 0 to 7")]
    [InlineData("address=0&size=4&y=-1", "y must be one integer from 0 to 7")]
    [InlineData("address=0&size=4&x=0&x=1", "x must be one integer")]
    [InlineData("address=4294967290&size=7", "runs past the end of the 32-bit address space")]
    public async Task Bad_parameters_are_refused_naming_the_parameter(string query, string expected)
    {
        await using var s = await ProxyScenario.StartAsync();

        using var response = await s.Http.GetAsync($"{s.JobUrl}/memory?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, s.Server.Server.Memory.Refused);
        Assert.Equal(0, s.Board.Counters.ScpDatagrams);
    }

    [Fact]
    public async Task A_destroyed_job_has_no_memory()
    {
        await using var s = await ProxyScenario.StartAsync();
        Assert.Equal(HttpStatusCode.NoContent, await s.Http.DeleteAsync(s.JobUrl));

        using var response = await s.Http.GetAsync($"{s.JobUrl}/memory?address=0&size=4");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("has no boards (DESTROYED)", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_board_that_does_not_answer_gives_504_naming_the_board_chip_and_address()
    {
        using var silent = new RawUdp();
        await using var s = await ProxyScenario.StartAsync(options: o => o with { BoardScpPort = silent.LocalEndPoint.Port });

        using var response = await s.Http.GetAsync($"{s.JobUrl}/memory?x=1&y=2&address=1610612736&size=300");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains($"on chip (1, 2) via {silent.LocalEndPoint}", text, StringComparison.Ordinal);
        Assert.Contains("no reply after 5 attempts", text, StringComparison.Ordinal);
        Assert.Equal(1, s.Server.Server.Memory.Failed);
    }

    [Fact]
    public async Task An_error_answer_from_the_board_is_a_502_naming_it_and_what_was_written()
    {
        using var board = new RawUdp();
        await using var s = await ProxyScenario.StartAsync(options: o => o with { BoardScpPort = board.LocalEndPoint.Port });
        var answering = Task.Run(() =>
        {
            // Accept the first 64 KiB block, then refuse the next one. By address, not by count: a request the server
            // resent (its reply was late on a busy machine) arrives twice.
            while (true)
            {
                var request = board.Receive(out var from);
                FastSpinnRelay.Protocol.Sdp.ScpMessage.TryRead(request, 3, out var m);
                var reply = new byte[64];
                var rc = m.Arg1 < 0x6001_0000 ? FastSpinnRelay.Protocol.Sdp.ScpResult.Ok : FastSpinnRelay.Protocol.Sdp.ScpResult.Arg;
                FastSpinnRelay.Protocol.Sdp.ScpMessage.TryWriteResponse(reply, m.Header.ToReply(), rc, m.Sequence, [], [], out var n);
                board.Send(reply[..n], from);
                if (rc != FastSpinnRelay.Protocol.Sdp.ScpResult.Ok)
                {
                    return;
                }
            }
        });
        using var write = s.Http.Request(HttpMethod.Post, $"{s.JobUrl}/memory?address=1610612736", csrf: true);
        write.Content = new ByteArrayContent(new byte[256 << 10]);

        using var response = await s.Http.SendAsync(write);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("RC_ARG", text, StringComparison.Ordinal);
        Assert.Contains("the first 65536 bytes were written", text, StringComparison.Ordinal);
        await answering.WaitAsync(Loopback.Limit);
    }

    [Fact]
    public async Task Random_queries_get_an_answer_never_a_server_error()
    {
        await using var s = await ProxyScenario.StartAsync();
        var random = new Random(17);
        string[] names = ["x", "y", "address", "size", "X", "", "size[]"];
        string[] values = ["0", "1", "-1", "7", "8", "255", "65536", "4294967295", "4294967296", "99999999999999999999", "1e3", " 4", "", "%00", "0x10", "+4"];
        for (var i = 0; i < 200; i++)
        {
            var query = string.Join('&', Enumerable.Range(0, random.Next(0, 6)).Select(_ =>
                $"{names[random.Next(names.Length)]}={Uri.EscapeDataString(values[random.Next(values.Length)])}"));
            using var response = await s.Http.GetAsync($"{s.JobUrl}/memory?{query}");
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.BadRequest, $"{query}: {response.StatusCode}");
        }
    }

    [Fact]
    public void The_chip_s_own_board_is_the_one_asked()
    {
        // The three boards of a triad tile its 12 x 12 chips: each chip belongs to exactly one.
        var allocation = new JobAllocation([0, 1, 2], Triad(), 0, 0, 12, 12, 3);

        Assert.Equal(IPAddress.Parse("10.0.0.1"), allocation.BoardForChip(0, 0).Address);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), allocation.BoardForChip(8, 4).Address);
        Assert.Equal(IPAddress.Parse("10.0.0.3"), allocation.BoardForChip(11, 11).Address); // (4, 8) + (7, 3)
        Assert.Equal(IPAddress.Parse("10.0.0.3"), allocation.BoardForChip(4, 8).Address);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), allocation.BoardForChip(0, 5).Address); // (8, 4) + (4, 1), wrapped
        var owners = Enumerable.Range(0, 144).Select(i => allocation.BoardForChip(i % 12, i / 12).Address).ToList();
        Assert.All(allocation.Boards, b => Assert.Equal(48, owners.Count(a => a.Equals(b.Address))));
    }

    private static FastSpinnRelay.Relay.Spalloc.SpallocBoard[] Triad() =>
    [
        new(0, 0, 0, 0, 0, IPAddress.Parse("10.0.0.1"), null),
        new(0, 0, 1, 8, 4, IPAddress.Parse("10.0.0.2"), null),
        new(0, 0, 2, 4, 8, IPAddress.Parse("10.0.0.3"), null),
    ];

    /// <summary>A stream without a length, so HttpClient sends it chunked.</summary>
    private sealed class UnseekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
