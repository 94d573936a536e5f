using System.Net;
using System.Net.WebSockets;
using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>
/// A running server given a new configuration (<see cref="Relay.Spalloc.Server.SpallocServer.Reload"/>): who can log in
/// afterwards, whose sessions, websockets and jobs end, whose stay, and which settings change.
/// </summary>
public class SpallocReloadTests
{
    private static readonly (int X, int Y, int Z)[] Triad = [(0, 0, 0), (0, 0, 1), (0, 0, 2)];

    [Fact]
    public async Task A_user_added_by_a_reload_can_log_in_and_nobody_else_notices()
    {
        await using var server = await SpallocTestServer.StartAsync(Triad);
        using var alice = await server.LoginAsync();
        var job = await alice.CreateJobAsync();
        await using var socket = await ProxyClient.ConnectAsync(await alice.ProxyUriAsync(job), alice.Cookies);
        using var dave = new SpallocHttp(server.BaseUri);
        using (var before = await dave.LoginAsync("dave-token"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, before.StatusCode); // remembered now as a wrong token
        }

        var result = server.Server.Reload(WithUsers(server, [.. SpallocTestServer.KnownUsers, SpallocTestServer.User("dave", "dave-token")]));

        Assert.Equal("users added: dave", result.ToString());
        using (var after = await dave.LoginAsync("dave-token"))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }

        await dave.ServiceAsync();
        await dave.CreateJobAsync();
        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.NotEqual(0u, (await socket.OpenUnboundAsync()).Channel);
        Assert.Equal("READY", await alice.StateAsync(job));
    }

    [Fact]
    public async Task A_removed_user_loses_sessions_websockets_and_jobs_and_the_others_keep_theirs()
    {
        await using var server = await SpallocTestServer.StartAsync(Triad);
        using var alice = await server.LoginAsync(SpallocTestServer.AliceToken);
        using var bob = await server.LoginAsync(SpallocTestServer.BobToken);
        var aliceJob = await alice.CreateJobAsync();
        var bobJob = await bob.CreateJobAsync();
        await using var aliceSocket = await ProxyClient.ConnectAsync(await alice.ProxyUriAsync(aliceJob), alice.Cookies);
        await using var bobSocket = await ProxyClient.ConnectAsync(await bob.ProxyUriAsync(bobJob), bob.Cookies);
        var sessionsBefore = server.Server.Sessions.Count;
        Served(server, 2);

        var result = server.Server.Reload(WithUsers(server, SpallocTestServer.KnownUsers.Where(u => u.Name != "bob")));

        Assert.Equal($"users removed: bob; 1 session(s) ended, 1 websocket(s) closed, job(s) {bobJob.Split('/')[^1]} destroyed", result.ToString());
        Assert.Equal(sessionsBefore - 1, server.Server.Sessions.Count);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await bobSocket.WaitClosedAsync());
        Assert.Equal("access revoked: the configuration was reloaded", bobSocket.CloseDescription);
        using (var root = await bob.GetAsync(bob.JobsUrl!))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, root.StatusCode); // the session cookie counts no more
        }

        using (var login = await bob.LoginAsync(SpallocTestServer.BobToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode); // nor does the token
        }

        using var carol = await server.LoginAsync(SpallocTestServer.AdminToken);
        var state = await carol.JsonAsync(bobJob);
        Assert.Equal("DESTROYED", state.GetProperty("state").GetString());
        Assert.Equal("user removed from the configuration", state.GetProperty("reason").GetString());

        Assert.Equal(WebSocketState.Open, aliceSocket.State);
        Assert.NotEqual(0u, (await aliceSocket.OpenUnboundAsync()).Channel);
        Assert.Equal("READY", await alice.StateAsync(aliceJob));
        Assert.Equal(HttpStatusCode.OK, await alice.KeepaliveAsync(aliceJob));
    }

    [Fact]
    public async Task A_new_token_ends_the_old_one_s_sessions_and_websockets_but_keeps_the_jobs()
    {
        await using var server = await SpallocTestServer.StartAsync(Triad);
        using var alice = await server.LoginAsync(SpallocTestServer.AliceToken);
        var job = await alice.CreateJobAsync();
        await using var socket = await ProxyClient.ConnectAsync(await alice.ProxyUriAsync(job), alice.Cookies);
        Served(server, 1);

        var result = server.Server.Reload(WithUsers(
            server, SpallocTestServer.KnownUsers.Select(u => u.Name == "alice" ? SpallocTestServer.User("alice", "alice-new-token") : u)));

        Assert.Equal("new token: alice; 1 session(s) ended, 1 websocket(s) closed", result.ToString());
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.WaitClosedAsync());
        using (var old = await alice.GetAsync(alice.JobsUrl!))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        }

        using var stranger = new SpallocHttp(server.BaseUri);
        using (var oldToken = await stranger.LoginAsync(SpallocTestServer.AliceToken))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, oldToken.StatusCode); // it had worked before: known by its hash, forgotten now
        }

        using var again = await server.LoginAsync("alice-new-token");
        Assert.Equal("READY", await again.StateAsync(job));
        await using var reconnected = await ProxyClient.ConnectAsync(await again.ProxyUriAsync(job), again.Cookies);
        Assert.NotEqual(0u, (await reconnected.OpenUnboundAsync()).Channel);
    }

    [Fact]
    public async Task A_former_admin_keeps_their_session_but_loses_the_websockets_of_others_jobs()
    {
        await using var server = await SpallocTestServer.StartAsync(Triad);
        using var alice = await server.LoginAsync(SpallocTestServer.AliceToken);
        using var carol = await server.LoginAsync(SpallocTestServer.AdminToken);
        var aliceJob = await alice.CreateJobAsync();
        var carolJob = await carol.CreateJobAsync();
        await using var onAlices = await ProxyClient.ConnectAsync(await carol.ProxyUriAsync(aliceJob), carol.Cookies);
        await using var onOwn = await ProxyClient.ConnectAsync(await carol.ProxyUriAsync(carolJob), carol.Cookies);
        Served(server, 2);

        var result = server.Server.Reload(WithUsers(server, SpallocTestServer.KnownUsers.Select(u => u with { Admin = false })));

        Assert.Equal("admin revoked: carol; 1 websocket(s) closed", result.ToString());
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await onAlices.WaitClosedAsync());
        using (var other = await carol.GetAsync(aliceJob))
        {
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        }

        Assert.Equal("READY", await carol.StateAsync(carolJob));
        Assert.NotEqual(0u, (await onOwn.OpenUnboundAsync()).Channel);
    }

    [Fact]
    public async Task Limits_apply_at_once_and_restart_only_settings_keep_their_values()
    {
        await using var server = await SpallocTestServer.StartAsync(Triad);
        using var alice = await server.LoginAsync();
        await alice.CreateJobAsync();
        var running = server.Server.Config;

        var result = server.Server.Reload(running with
        {
            Machine = running.Machine with { Name = "renamed" },
            Server = running.Server with
            {
                MaxJobsPerUser = 1,
                MaxKeepalive = TimeSpan.FromSeconds(60),
                SessionIdleTimeout = TimeSpan.FromMinutes(5),
                StallTimeout = TimeSpan.FromSeconds(3),
            },
        });

        Assert.Equal(
            "server.max-jobs-per-user 8 -> 1; server.max-keepalive 1h -> 1m; server.session-idle-timeout 8h -> 5m; 2 change(s) not applied until a restart",
            result.ToString());
        Assert.Equal(["machine.name testbed -> renamed", "server.stall-timeout 30s -> 3s"], result.Changes.NeedRestart);
        Assert.Equal("testbed", server.Server.Config.Machine.Name);
        Assert.Equal(TimeSpan.FromSeconds(30), server.Server.Config.Server.StallTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), server.Server.Sessions.IdleTimeout);

        var (status, _, body) = await alice.CreateJobAsync("""{"num-boards": 1, "keepalive-interval": "PT30S"}""");
        Assert.Equal(HttpStatusCode.TooManyRequests, status); // alice has one job: the limit now
        Assert.Contains("already has 1 jobs", body, StringComparison.Ordinal);
        using var bob = await server.LoginAsync(SpallocTestServer.BobToken);
        (status, _, body) = await bob.CreateJobAsync("""{"num-boards": 1, "keepalive-interval": "PT120S"}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("at most 60 seconds", body, StringComparison.Ordinal);

        server.Time.Advance(TimeSpan.FromMinutes(6));
        server.Server.RunHousekeeping();
        using var idle = await alice.GetAsync(alice.JobsUrl!);
        Assert.Equal(HttpStatusCode.Unauthorized, idle.StatusCode); // idle for longer than the new timeout
    }

    [Fact]
    public async Task Logins_and_requests_during_reloads_see_the_old_users_or_the_new_never_neither()
    {
        // Two tables that both hold alice (unchanged) and carol (admin in one, not in the other); dave comes and goes.
        await using var server = await SpallocTestServer.StartAsync(Triad);
        var dave = SpallocTestServer.User("dave", "dave-token");
        var with = WithUsers(server, [.. SpallocTestServer.KnownUsers, dave]);
        var without = WithUsers(server, SpallocTestServer.KnownUsers.Select(u => u with { Admin = false }));
        using var alice = await server.LoginAsync();
        const int Reloads = 200;

        // Two reloaders at once: each reload runs whole, one at a time, whatever the order.
        var reloaders = Enumerable.Range(0, 2).Select(i => Task.Run(() =>
        {
            for (var n = 0; n < Reloads; n++)
            {
                server.Server.Reload((n + i) % 2 == 0 ? with : without);
            }
        })).ToArray();
        using var bearer = new SpallocHttp(server.BaseUri);
        var requests = 0;
        while (!reloaders.All(t => t.IsCompleted) || requests == 0)
        {
            using var response = await alice.GetAsync(alice.JobsUrl!);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var login = await bearer.LoginAsync(SpallocTestServer.AliceToken);
            Assert.Equal(HttpStatusCode.OK, login.StatusCode);
            requests++;
        }

        await Task.WhenAll(reloaders).WaitAsync(Loopback.Limit);
        server.Server.Reload(with);
        Assert.Equal(["alice", "bob", "carol", "dave"], server.Server.Config.Users.Select(u => u.Name));
        Assert.True(server.Server.Config.Users[2].Admin);
        using var daveHttp = await server.LoginAsync("dave-token");
        Assert.Equal(0, server.Server.Logins.Throttled);
    }

    /// <summary>
    /// Waits until the server serves <paramref name="count"/> websockets: a client's handshake completes a moment before
    /// the server registers its session (one registered later is checked against the users then, and closed all the
    /// same, but not counted by the reload).
    /// </summary>
    private static void Served(SpallocTestServer server, int count) =>
        Assert.True(Loopback.WaitUntil(() => server.Server.WebSocketCount == count), $"{server.Server.WebSocketCount} websockets served");

    /// <summary>The server's running configuration with other users, as a reload of an edited file would read it.</summary>
    private static SpallocConfig WithUsers(SpallocTestServer server, IEnumerable<SpallocUser> users) => server.Server.Config with { Users = [.. users] };
}
