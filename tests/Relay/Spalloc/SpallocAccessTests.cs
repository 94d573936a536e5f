using System.Net;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>Who may do what: tokens, sessions, CSRF, job ownership, and the websocket handshake.</summary>
public class SpallocAccessTests
{
    [Fact]
    public async Task A_bad_token_gets_no_session_and_nothing_works_without_one()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var http = new SpallocHttp(server.BaseUri);
        using var login = await http.LoginAsync("not-a-token");
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.Empty(http.Cookies.GetCookies(server.BaseUri));
        using var root = await http.GetAsync(new Uri(server.BaseUri, "srv/spalloc/").ToString());
        Assert.Equal(HttpStatusCode.Unauthorized, root.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await ProxyClient.HandshakeStatusAsync(new Uri(server.BaseUri.ToString().Replace("http", "ws") + "proxy/1"), http.Cookies));
    }

    [Fact]
    public async Task The_server_counts_refused_logins_and_those_that_cost_no_check()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var http = new SpallocHttp(server.BaseUri);
        for (var i = 0; i < 2; i++)
        {
            using var refused = await http.LoginAsync("not-a-token");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using (var accepted = await http.LoginAsync(SpallocTestServer.AliceToken))
        {
            Assert.NotEqual(HttpStatusCode.Unauthorized, accepted.StatusCode);
        }

        var logins = server.Server.Logins;
        Assert.Equal((2, 0, 1), (logins.Refused, logins.Throttled, logins.RememberedWrong)); // the second one by its hash
    }

    [Fact]
    public async Task The_websocket_is_refused_at_the_handshake_for_another_users_job_and_allowed_for_an_admin()
    {
        await using var board = new DisposableBoard();
        await using var server = await SpallocTestServer.StartAsync();
        using var alice = await server.LoginAsync(SpallocTestServer.AliceToken);
        using var bob = await server.LoginAsync(SpallocTestServer.BobToken);
        using var carol = await server.LoginAsync(SpallocTestServer.AdminToken);
        var job = await alice.CreateJobAsync();
        var proxy = await alice.ProxyUriAsync(job);

        Assert.Equal(HttpStatusCode.Forbidden, await ProxyClient.HandshakeStatusAsync(proxy, bob.Cookies));
        Assert.Equal(HttpStatusCode.Unauthorized, await ProxyClient.HandshakeStatusAsync(proxy, new CookieContainer()));
        using (var state = await bob.GetAsync(job))
        {
            Assert.Equal(HttpStatusCode.Forbidden, state.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Forbidden, await bob.DeleteAsync(job));
        Assert.Equal("READY", await alice.StateAsync(job));

        await using var admin = await ProxyClient.ConnectAsync(proxy, carol.Cookies);
        Assert.NotEqual(0u, await admin.OpenAsync(0, 0, board.Emulator.ScpEndPoint.Port));
        Assert.Equal("READY", await carol.StateAsync(job));
    }

    [Fact]
    public async Task The_websocket_of_a_queued_or_unknown_job_is_refused()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var alice = await server.LoginAsync();
        var first = await alice.CreateJobAsync();
        var queued = await alice.CreateJobAsync();
        Assert.Equal("QUEUED", await alice.StateAsync(queued));
        var proxy = await alice.ProxyUriAsync(first);
        var queuedProxy = new Uri(proxy.ToString()[..proxy.ToString().LastIndexOf('/')] + "/" + queued.Split('/')[^1]);
        Assert.Equal(HttpStatusCode.Conflict, await ProxyClient.HandshakeStatusAsync(queuedProxy, alice.Cookies));
        var unknown = new Uri(proxy.ToString()[..proxy.ToString().LastIndexOf('/')] + "/999");
        Assert.Equal(HttpStatusCode.NotFound, await ProxyClient.HandshakeStatusAsync(unknown, alice.Cookies));
    }

    [Fact]
    public async Task Changes_through_a_cookie_session_need_the_csrf_header()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var alice = await server.LoginAsync();
        var (status, _, body) = await alice.CreateJobAsync("""{"num-boards": 1, "keepalive-interval": "PT60S"}""", csrf: false);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("X-CSRF-TOKEN", body, StringComparison.Ordinal);
        var job = await alice.CreateJobAsync();
        Assert.Equal(HttpStatusCode.Forbidden, await alice.KeepaliveAsync(job, csrf: false));
        Assert.Equal(HttpStatusCode.OK, await alice.KeepaliveAsync(job));
    }

    [Fact]
    public async Task The_password_form_login_works_with_the_token_as_password()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var http = new SpallocHttp(server.BaseUri);
        using var page = await http.GetAsync(new Uri(server.BaseUri, "system/login.html").ToString());
        var html = await page.Content.ReadAsStringAsync();
        var match = System.Text.RegularExpressions.Regex.Match(html, """<input type="hidden" name="_csrf" value="(.*)" />""");
        Assert.True(match.Success, html);

        using var wrong = http.Request(HttpMethod.Post, new Uri(server.BaseUri, "system/perform_login").ToString(), csrf: false);
        wrong.Content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = match.Groups[1].Value, ["username"] = "alice", ["password"] = "wrong", ["submit"] = "submit",
        });
        using (var refused = await http.SendAsync(wrong))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Contains("\"message\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var again = await http.GetAsync(new Uri(server.BaseUri, "system/login.html").ToString());
        var csrf = System.Text.RegularExpressions.Regex.Match(await again.Content.ReadAsStringAsync(), """<input type="hidden" name="_csrf" value="(.*)" />""").Groups[1].Value;
        using var right = http.Request(HttpMethod.Post, new Uri(server.BaseUri, "system/perform_login").ToString(), csrf: false);
        right.Content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = csrf, ["username"] = "alice", ["password"] = SpallocTestServer.AliceToken, ["submit"] = "submit",
        });
        using var accepted = await http.SendAsync(right);
        Assert.Equal(HttpStatusCode.Found, accepted.StatusCode);
        var root = await http.ServiceAsync();
        Assert.EndsWith("/srv/spalloc/jobs", root.GetProperty("jobs-ref").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsupported_resources_and_methods_answer_404_and_405_with_text()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var alice = await server.LoginAsync();
        var job = await alice.CreateJobAsync();
        foreach (var (url, expected) in new[]
        {
            (job + "/chip", HttpStatusCode.NotFound),
            (job + "/power", HttpStatusCode.NotFound),
            (job + "/router", HttpStatusCode.MethodNotAllowed),
            (new Uri(server.BaseUri, "srv/spalloc/nothing").ToString(), HttpStatusCode.NotFound),
            (new Uri(server.BaseUri, "../elsewhere").ToString(), HttpStatusCode.NotFound),
            (job + "/keepalive", HttpStatusCode.MethodNotAllowed),
            (new Uri(server.BaseUri, "proxy/1").ToString(), HttpStatusCode.BadRequest),
        })
        {
            using var response = await alice.GetAsync(url);
            Assert.True(expected == response.StatusCode, url);
            Assert.False(string.IsNullOrWhiteSpace(await response.Content.ReadAsStringAsync()));
        }
    }

    /// <summary>An emulator for tests that only need a board to exist.</summary>
    private sealed class DisposableBoard : IAsyncDisposable
    {
        public FastSpinnRelay.Relay.Emulator.BoardEmulator Emulator { get; } = new(Loopback.Board());

        public ValueTask DisposeAsync()
        {
            Emulator.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
