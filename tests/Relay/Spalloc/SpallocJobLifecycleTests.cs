using System.Net;
using System.Net.WebSockets;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>The HTTP job life cycle as spinnman drives it: login, create, QUEUED → READY, keepalive, expiry, delete.</summary>
public class SpallocJobLifecycleTests
{
    [Fact]
    public async Task Service_root_machines_and_a_job_look_as_spinnman_expects()
    {
        await using var server = await SpallocTestServer.StartAsync([(0, 0, 0), (0, 0, 1), (0, 0, 2)]);
        using var alice = await server.LoginAsync();
        var root = await alice.ServiceAsync();
        Assert.Equal("X-CSRF-TOKEN", root.GetProperty("csrf-header").GetString());
        Assert.Equal(0, root.GetProperty("version").GetProperty("major-version").GetInt32());

        var machines = await alice.JsonAsync(alice.MachinesUrl!);
        var machine = Assert.Single(machines.GetProperty("machines").EnumerateArray());
        Assert.Equal("testbed", machine.GetProperty("name").GetString());
        Assert.Equal("default", Assert.Single(machine.GetProperty("tags").EnumerateArray()).GetString());

        // spinnman adds a trailing slash to every URL it is given.
        var (status, location, _) = await alice.CreateJobAsync("""{"board": {"x": 0, "y": 0, "z": 1}, "keepalive-interval": "PT120S", "machine-name": "testbed"}""");
        Assert.Equal(HttpStatusCode.Created, status);
        var job = await alice.JsonAsync(location + "/");
        Assert.Equal("READY", job.GetProperty("state").GetString());
        Assert.Equal("alice", job.GetProperty("owner").GetString());
        Assert.EndsWith("/spalloc/proxy/" + location!.Split('/')[^1], job.GetProperty("proxy-ref").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("ws://", job.GetProperty("proxy-ref").GetString(), StringComparison.Ordinal);

        var sub = await alice.JsonAsync(location + "/machine/");
        var connection = Assert.Single(sub.GetProperty("connections").EnumerateArray());
        Assert.Equal("[[0,0],\"127.0.0.1\"]", connection.GetRawText());
        Assert.Equal(1, sub.GetProperty("depth").GetInt32());

        var list = await alice.JsonAsync(alice.JobsUrl + "/");
        Assert.Equal(location, Assert.Single(list.GetProperty("jobs").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Jobs_queue_while_boards_are_busy_and_get_the_board_when_it_is_freed()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var alice = await server.LoginAsync();
        using var bob = await server.LoginAsync(SpallocTestServer.BobToken);
        var first = await alice.CreateJobAsync();
        var second = await bob.CreateJobAsync();
        Assert.Equal("READY", await alice.StateAsync(first));
        Assert.Equal("QUEUED", await bob.StateAsync(second));
        Assert.False((await bob.JsonAsync(second)).TryGetProperty("proxy-ref", out _));
        using (var none = await bob.GetAsync(second + "/machine"))
        {
            Assert.Equal(HttpStatusCode.NoContent, none.StatusCode);
        }

        // A long poll returns when the state changes.
        var wait = bob.JsonAsync(second + "?wait=true");
        var secondJob = server.Server.Jobs.Find(int.Parse(second.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture))!;
        Assert.True(Loopback.WaitUntil(() => Volatile.Read(ref secondJob.Waiters) == 1));
        Assert.Equal(HttpStatusCode.NoContent, await alice.DeleteAsync(first, "done"));
        Assert.Equal("READY", (await wait.WaitAsync(Loopback.Limit)).GetProperty("state").GetString());

        var destroyed = await alice.JsonAsync(first);
        Assert.Equal(("DESTROYED", "done"), (destroyed.GetProperty("state").GetString(), destroyed.GetProperty("reason").GetString()));
        Assert.Empty((await alice.JsonAsync(alice.JobsUrl!)).GetProperty("jobs").EnumerateArray());
        Assert.Single((await alice.JsonAsync(alice.JobsUrl + "?deleted=true")).GetProperty("jobs").EnumerateArray());
    }

    [Fact]
    public async Task A_long_poll_stops_waiting_soon_after_its_client_leaves()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var alice = await server.LoginAsync();
        using var bob = await server.LoginAsync(SpallocTestServer.BobToken);
        await alice.CreateJobAsync();
        var second = new Uri(await bob.CreateJobAsync() + "?wait=true");
        var secondJob = server.Server.Jobs.Find(int.Parse(second.AbsolutePath.Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture))!;

        using (var raw = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp))
        {
            await raw.ConnectAsync(server.Server.EndPoint);
            var request = $"GET {second.PathAndQuery} HTTP/1.1\r\nHost: {second.Authority}\r\nCookie: {bob.Cookies.GetCookieHeader(second)}\r\n\r\n";
            await raw.SendAsync(System.Text.Encoding.ASCII.GetBytes(request));
            Assert.True(Loopback.WaitUntil(() => Volatile.Read(ref secondJob.Waiters) == 1), "the long poll did not start");
        }

        // The poll's own limit is 30 s; the server looks every second whether the client is still there.
        Assert.True(Loopback.WaitUntil(() => Volatile.Read(ref secondJob.Waiters) == 0), "the long poll still waits for a client that left");
    }

    [Fact]
    public async Task A_job_whose_keepalive_lapses_is_destroyed_its_websocket_closed_and_its_board_given_to_the_next()
    {
        using var board = new FastSpinnRelay.Relay.Emulator.BoardEmulator(Loopback.Board());
        await using var server = await SpallocTestServer.StartAsync();
        using var alice = await server.LoginAsync();
        var first = await alice.CreateJobAsync(keepalive: "PT60S");
        var second = await alice.CreateJobAsync(keepalive: "PT60S");
        await using var client = await ProxyClient.ConnectAsync(await alice.ProxyUriAsync(first), alice.Cookies);
        await client.OpenAsync(0, 0, board.ScpEndPoint.Port);

        // 45 s: both kept alive by a keepalive at 30 s (queued jobs need keepalives too).
        server.Time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, await alice.KeepaliveAsync(first));
        Assert.Equal(HttpStatusCode.OK, await alice.KeepaliveAsync(second));
        server.Time.Advance(TimeSpan.FromSeconds(45));
        server.Server.RunHousekeeping();
        Assert.Equal("READY", await alice.StateAsync(first));

        // Only the second is kept alive from now on.
        Assert.Equal(HttpStatusCode.OK, await alice.KeepaliveAsync(second));
        server.Time.Advance(TimeSpan.FromSeconds(30));
        server.Server.RunHousekeeping();
        var expired = await alice.JsonAsync(first);
        Assert.Equal(("DESTROYED", "keepalive expired"), (expired.GetProperty("state").GetString(), expired.GetProperty("reason").GetString()));
        Assert.Equal("READY", await alice.StateAsync(second));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await client.WaitClosedAsync());
        Assert.StartsWith("job 1 destroyed", client.CloseDescription, StringComparison.Ordinal);
        Assert.True(Loopback.WaitUntil(() => server.Server.RegisteredSockets == 0));
        Assert.Equal(HttpStatusCode.Conflict, await alice.KeepaliveAsync(first));
    }

    [Fact]
    public async Task Bad_job_requests_get_400_with_the_reason()
    {
        await using var server = await SpallocTestServer.StartAsync([(0, 0, 0), (0, 0, 1), (0, 0, 2)]);
        using var alice = await server.LoginAsync();
        foreach (var (body, reason) in new[]
        {
            ("""{"num-boards": 1}""", "keepalive-interval is required"),
            ("""{"num-boards": 1, "keepalive-interval": "soon"}""", "keepalive-interval is required"),
            ("""{"num-boards": 4, "keepalive-interval": "PT60S"}""", "cannot possibly fit"),
            ("""{"num-boards": 1, "board": {"address": "127.0.0.1"}, "keepalive-interval": "PT60S"}""", "either specify num-boards or dimensions"),
            ("""{"board": {"x": 5, "y": 0, "z": 0}, "keepalive-interval": "PT60S"}""", "no board at triad (5, 0, 0)"),
            ("""{"board": {"cabinet": 1}, "keepalive-interval": "PT60S"}""", "at least one way of identifying a board"),
            ("""{"num-boards": 1, "keepalive-interval": "PT60S", "machine-name": "other"}""", "no machine named other"),
            ("""{"num-boards": 1, "keepalive-interval": "PT60S", "tags": ["gpu"]}""", "no machine has all the tags"),
            ("""{"keepalive-interval": "PT60S"}""", "either num-boards, dimensions or board is required"),
            ("""{"num-boards": "many"}""", "not a job request"),
            ("""not json""", "not a job request"),
        })
        {
            var (status, _, text) = await alice.CreateJobAsync(body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{body}: {(int)status} {text}");
            Assert.Contains(reason, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Num_boards_and_dimensions_take_whole_triads_as_the_java_service_does()
    {
        await using var server = await SpallocTestServer.StartAsync([(0, 0, 0), (0, 0, 1), (0, 0, 2), (1, 0, 0), (1, 0, 1), (1, 0, 2)]);
        using var alice = await server.LoginAsync();
        var two = await alice.CreateJobAsync(boards: 2);
        var sub = await alice.JsonAsync(two + "/machine");
        Assert.Equal(3, sub.GetProperty("connections").GetArrayLength());
        Assert.Equal("[[0,0],\"127.0.0.1\"]", sub.GetProperty("connections")[0].GetRawText());

        var (status, location, body) = await alice.CreateJobAsync("""{"dimensions": {"width": 1, "height": 1}, "keepalive-interval": "PT60S"}""");
        Assert.True(status == HttpStatusCode.Created, body);
        Assert.Equal("READY", await alice.StateAsync(location!));
        var rect = await alice.JsonAsync(location + "/machine");
        var chips = rect.GetProperty("connections").EnumerateArray().Select(c => c[0].GetRawText()).ToList();
        Assert.Equal(["[0,0]", "[4,8]", "[8,4]"], chips);

        var third = await alice.CreateJobAsync(boards: 1);
        Assert.Equal("QUEUED", await alice.StateAsync(third));
    }

    [Fact]
    public async Task A_user_may_hold_only_so_many_jobs()
    {
        await using var server = await SpallocTestServer.StartAsync(options: o => o with { MaxJobsPerUser = 2 });
        using var alice = await server.LoginAsync();
        await alice.CreateJobAsync();
        await alice.CreateJobAsync();
        var (status, _, body) = await alice.CreateJobAsync("""{"num-boards": 1, "keepalive-interval": "PT60S"}""");
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Contains("limit", body, StringComparison.Ordinal);
    }
}
