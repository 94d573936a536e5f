using System.Net;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// <c>relay spalloc serve</c> as deployed, a child on 127.0.0.1 port 0, given SIGHUP (what <c>systemctl reload</c>
/// sends) after its configuration file was edited: a user added can log in, a removed one cannot, and another user's
/// websocket stays connected; a file it would refuse at start changes nothing.
/// </summary>
public sealed partial class SpallocReloadSignalTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("spalloc-reload-").FullName;

    [Fact]
    public async Task Sighup_reloads_the_users_without_dropping_anyone_else()
    {
        var config = Path.Combine(_directory, "spalloc.json");
        File.WriteAllText(config, Config(("alice", "alice-token"), ("bob", "bob-token")));
        var environment = new BenchEnvironment(new BenchSettings());
        using var relay = environment.StartRelay("spalloc", "serve", "--config", config, "--listen", "127.0.0.1:0");
        Match? start = null;
        Assert.True(Loopback.WaitUntil(() => (start = StartLine().Match(relay.RecentOutput())).Success || relay.HasExited), relay.RecentOutput());
        Assert.False(relay.HasExited, relay.RecentOutput());
        var baseUri = new Uri(start!.Groups[1].Value);

        using var alice = await LoginAsync(baseUri, "alice-token");
        using var bob = await LoginAsync(baseUri, "bob-token");
        var job = await alice.CreateJobAsync();
        await using var socket = await ProxyClient.ConnectAsync(await alice.ProxyUriAsync(job), alice.Cookies);

        File.WriteAllText(config, Config(("alice", "alice-token"), ("dave", "dave-token")));
        Hangup.Send(relay);
        Assert.True(
            Loopback.WaitUntil(() => relay.RecentOutput().Contains($"reloaded {config}: users added: dave; users removed: bob; 1 session(s) ended", StringComparison.Ordinal)),
            relay.RecentOutput());

        using (var dave = await LoginAsync(baseUri, "dave-token"))
        {
            await dave.CreateJobAsync();
        }

        using (var root = await bob.GetAsync(bob.JobsUrl!))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, root.StatusCode);
        }

        using (var login = await bob.LoginAsync("bob-token"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        }

        Assert.Equal(WebSocketState.Open, socket.State);
        Assert.NotEqual(0u, (await socket.OpenUnboundAsync()).Channel);

        // A file a start would refuse: the error names it and the problem; everyone carries on as before.
        File.WriteAllText(config, """{"machine": {"name": "m", "boards": []}, "users": []}""");
        Hangup.Send(relay);
        Assert.True(
            Loopback.WaitUntil(() => relay.RecentOutput().Contains($"reload refused, still serving the configuration read before: {config}: users: must list at least one user", StringComparison.Ordinal)),
            relay.RecentOutput());
        using (var dave = await LoginAsync(baseUri, "dave-token"))
        {
            Assert.Equal("READY", await alice.StateAsync(job));
        }

        Assert.NotEqual(0u, (await socket.OpenUnboundAsync()).Channel);

        var report = relay.Stop(Loopback.Limit);
        Assert.True(relay.ExitCode == 0, $"exit code {relay.ExitCode}: {relay.RecentOutput()}");
        Assert.Equal(1, report!.Counters["spallocReloadsApplied"]);
        Assert.Equal(1, report.Counters["spallocReloadsRefused"]);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<SpallocHttp> LoginAsync(Uri baseUri, string token)
    {
        var http = new SpallocHttp(baseUri);
        using var login = await http.LoginAsync(token);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        await http.ServiceAsync();
        return http;
    }

    /// <summary>Each token's hash, made once: a file written again with the same users is the same file.</summary>
    private static readonly Dictionary<string, string> Hashes = [];

    private static string Hash(string token)
    {
        lock (Hashes)
        {
            return Hashes.TryGetValue(token, out var hash) ? hash : Hashes[token] = TokenHash.Create(token, TokenHash.MinIterations);
        }
    }

    private static string Config(params (string Name, string Token)[] users) => $$"""
        {
          "machine": { "name": "m", "boards": [ { "triad": [0, 0, 0], "address": "127.0.0.1" }, { "triad": [0, 0, 1], "address": "127.0.0.1" } ] },
          "users": [ {{string.Join(", ", users.Select(u => $$"""{ "name": "{{u.Name}}", "token-hash": "{{Hash(u.Token)}}" }"""))}} ]
        }
        """;

    [GeneratedRegex(@"relay spalloc serve: .* at (http://127\.0\.0\.1:\d+/spalloc/) ")]
    private static partial Regex StartLine();
}
