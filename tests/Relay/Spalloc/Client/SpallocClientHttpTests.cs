using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Spalloc.Client;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Spalloc.Client;

/// <summary>The HTTP side of the client against `relay spalloc serve`: log in, jobs from creation to destruction, clear errors.</summary>
public class SpallocClientHttpTests
{
    private static readonly SpallocClientOptions Quick = new() { RequestTimeout = Loopback.Limit };

    [Fact]
    public async Task A_job_from_creation_to_destruction_with_a_token()
    {
        await using var server = await SpallocTestServer.StartAsync([(0, 0, 0), (0, 0, 1)]);
        using var client = Client(server, new SpallocCredentials(null, null, SpallocTestServer.AliceToken));

        var machines = await client.ListMachinesAsync();
        Assert.Equal("testbed", Assert.Single(machines).Name);

        var job = await client.CreateJobAsync(new SpallocJobRequest { Triad = (0, 0, 1), Keepalive = TimeSpan.FromSeconds(60) });
        var ready = await client.WaitUntilReadyAsync(job, Loopback.Limit, TextWriter.Null);
        Assert.True(ready.IsReady);
        Assert.NotNull(ready.ProxyRef);
        Assert.Contains(job, await client.ListJobsAsync());
        await client.KeepaliveAsync(job);
        var board = Assert.Single(await client.GetBoardsAsync(job));
        Assert.Equal((0, 0, "127.0.0.1"), (board.X, board.Y, board.Address));

        await client.DestroyAsync(job);
        Assert.True((await client.GetJobAsync(job)).IsDestroyed);
        var gone = await Assert.ThrowsAsync<SpallocClientException>(() => client.WaitUntilReadyAsync(job, Loopback.Limit));
        Assert.Contains("destroyed", gone.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Password_login_through_the_form_from_the_url_user_info()
    {
        await using var server = await SpallocTestServer.StartAsync();
        var withUser = new UriBuilder(server.BaseUri) { UserName = "alice", Password = SpallocTestServer.AliceToken }.Uri;
        var credentials = SpallocCredentials.Resolve(withUser, null, null, null, out var clean, out _, _ => null);
        Assert.NotNull(credentials);
        Assert.False(credentials.HasToken);
        Assert.Equal("", clean.UserInfo);
        using var client = new SpallocClient(clean, credentials, Quick);

        var job = await client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 });
        Assert.True((await client.GetJobAsync(job)).IsReady);
        Assert.NotNull(client.CsrfToken);
    }

    [Fact]
    public void Credentials_come_from_options_then_the_url_then_the_environment()
    {
        var env = new Dictionary<string, string> { ["SPALLOC_USER"] = "env-user", ["SPALLOC_PASSWORD"] = "env-pass" };
        var url = new Uri("https://host/spalloc");
        var fromEnv = SpallocCredentials.Resolve(url, null, null, null, out var clean, out _, k => env.GetValueOrDefault(k));
        Assert.Equal(("env-user", "env-pass"), (fromEnv!.User, fromEnv.Password));
        Assert.Equal("https://host/spalloc/", clean.ToString());
        Assert.Equal("bob", SpallocCredentials.Resolve(url, "bob", "pw", null, out _, out _, k => env.GetValueOrDefault(k))!.User);
        env["SPALLOC_TOKEN"] = "t";
        Assert.True(SpallocCredentials.Resolve(url, null, null, null, out _, out _, k => env.GetValueOrDefault(k))!.HasToken);
        Assert.Null(SpallocCredentials.Resolve(url, null, null, null, out _, out var problem, _ => null));
        Assert.Contains("--token", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("env-pass", fromEnv.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_credentials_fail_with_the_url_and_status()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var badToken = Client(server, new SpallocCredentials(null, null, "not-a-token"));
        var ex = await Assert.ThrowsAsync<SpallocClientException>(() => badToken.ListMachinesAsync());
        Assert.Equal(SpallocFailure.Service, ex.Failure);
        Assert.Contains("system/login.html: 401", ex.Message, StringComparison.Ordinal);

        using var badPassword = Client(server, new SpallocCredentials("alice", "wrong", null));
        ex = await Assert.ThrowsAsync<SpallocClientException>(() => badPassword.ListMachinesAsync());
        Assert.Contains("perform_login: 401", ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad credentials", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_job_is_a_404_naming_its_url()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var client = Client(server, new SpallocCredentials(null, null, SpallocTestServer.AliceToken));
        var job = await client.JobUrlAsync("9999");
        var ex = await Assert.ThrowsAsync<SpallocClientException>(() => client.GetJobAsync(job));
        Assert.Equal(SpallocFailure.Service, ex.Failure);
        Assert.Contains($"GET {job}: 404", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_session_is_renewed_once()
    {
        await using var server = await SpallocTestServer.StartAsync(options: o => o with { SessionIdleTimeout = TimeSpan.FromMinutes(1) });
        using var client = Client(server, new SpallocCredentials("alice", SpallocTestServer.AliceToken, null));
        var job = await client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1, Keepalive = TimeSpan.FromHours(1) });
        var firstCsrf = client.CsrfToken;

        server.Time.Advance(TimeSpan.FromMinutes(5));   // the session is gone; the next change gets 401 and logs in again
        await client.KeepaliveAsync(job);
        Assert.NotEqual(firstCsrf, client.CsrfToken);
    }

    [Fact]
    public async Task An_unreachable_service_is_a_network_failure()
    {
        using var refusing = new RefusingTcpPort();
        var port = refusing.Port;
        using var client = new SpallocClient(new Uri($"http://127.0.0.1:{port}/spalloc/"), new SpallocCredentials(null, null, "t"), Quick);
        var ex = await Assert.ThrowsAsync<SpallocClientException>(() => client.ListMachinesAsync());
        Assert.Equal(SpallocFailure.Network, ex.Failure);
        Assert.Contains($"127.0.0.1:{port}/spalloc/system/login.html", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_verbs_map_failures_to_exit_codes()
    {
        await using var server = await SpallocTestServer.StartAsync();
        using var refusing = new RefusingTcpPort();
        var service = server.BaseUri.ToString();
        string[] common = ["--service", service, "--token", SpallocTestServer.AliceToken];
        Assert.Equal((int)ExitCode.Ok, await RelayCommandLine.InvokeAsync(["spalloc", "machines", .. common]));
        Assert.Equal((int)ExitCode.Ok, await RelayCommandLine.InvokeAsync(["spalloc", "create", "--boards", "1", "--wait", .. common]));
        Assert.Equal((int)ExitCode.Ok, await RelayCommandLine.InvokeAsync(["spalloc", "jobs", .. common]));
        Assert.Equal((int)ExitCode.Ok, await RelayCommandLine.InvokeAsync(["spalloc", "wait", "1", .. common]));
        Assert.Equal((int)ExitCode.Ok, await RelayCommandLine.InvokeAsync(["spalloc", "destroy", "1", .. common]));
        Assert.Equal((int)ExitCode.Failed, await RelayCommandLine.InvokeAsync(["spalloc", "destroy", "77", .. common]));
        Assert.Equal((int)ExitCode.Usage, await RelayCommandLine.InvokeAsync(["spalloc", "create", "--boards", "1", "--triad", "1,2", .. common]));
        Assert.Equal((int)ExitCode.Usage, await RelayCommandLine.InvokeAsync(["spalloc", "create", "--boards", "1", "--ip", "10.0.0.1", .. common]));
        Assert.Equal((int)ExitCode.Usage, await RelayCommandLine.InvokeAsync(["spalloc", "connect", "1", "--live-input", "17900=0,0", .. common]));
        Assert.Equal((int)ExitCode.Usage, await RelayCommandLine.InvokeAsync(["spalloc", "connect", "1", "--live-tag", "8", .. common]));
        Assert.Equal((int)ExitCode.Usage, await RelayCommandLine.InvokeAsync(["spalloc", "connect", "1", "--reconnect-attempts", "-1", .. common]));
        Assert.Equal((int)ExitCode.Usage, await RelayCommandLine.InvokeAsync(["spalloc", "connect", "1", "--live-output", "nowhere", .. common]));
        Assert.Equal((int)ExitCode.Usage, await RelayCommandLine.InvokeAsync(["spalloc", "connect", "1", "--board-scp-port", "0", .. common]));
        Assert.Equal((int)ExitCode.Usage, await RelayCommandLine.InvokeAsync(["spalloc", "machines", "--service", "ftp://host/", "--token", "t"]));
        Assert.Equal((int)ExitCode.Failed, await RelayCommandLine.InvokeAsync(["spalloc", "connect", "99", .. common]));
        Assert.Equal((int)ExitCode.Failed, await RelayCommandLine.InvokeAsync(["spalloc", "machines", "--service", service, "--token", "bad"]));
        Assert.Equal(
            (int)ExitCode.Network,
            await RelayCommandLine.InvokeAsync(["spalloc", "machines", "--service", $"http://127.0.0.1:{refusing.Port}/", "--token", "t"]));
    }

    private static SpallocClient Client(SpallocTestServer server, SpallocCredentials credentials) => new(server.BaseUri, credentials, Quick);
}
