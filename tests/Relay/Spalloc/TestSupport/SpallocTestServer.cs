using System.Net;
using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Spalloc.Server;

namespace FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

/// <summary>
/// A <see cref="SpallocServer"/> on 127.0.0.1:0 with a manual clock, a machine of boards at 127.0.0.1 (the board
/// emulators' address; their ports come from the emulators) and three users: alice, bob and admin carol.
/// </summary>
internal sealed class SpallocTestServer : IAsyncDisposable
{
    public const string AliceToken = "alice-token";
    public const string BobToken = "bob-token";
    public const string AdminToken = "carol-token";

    private static readonly Lazy<SpallocUser[]> Users = new(() =>
    [
        User("alice", AliceToken, admin: false),
        User("bob", BobToken, admin: false),
        User("carol", AdminToken, admin: true),
    ]);

    private SpallocTestServer(SpallocServer server, ManualTime time)
    {
        Server = server;
        Time = time;
    }

    public SpallocServer Server { get; }

    public ManualTime Time { get; }

    public Uri BaseUri => Server.BaseUri;

    /// <summary>Users and tokens every test server knows (hashed with the fewest iterations allowed, to keep tests quick).</summary>
    public static IReadOnlyList<SpallocUser> KnownUsers => Users.Value;

    /// <summary>Starts a server whose machine has <paramref name="triads"/> boards (all at 127.0.0.1), in the given order.</summary>
    public static async Task<SpallocTestServer> StartAsync(
        (int X, int Y, int Z)[]? triads = null, Func<SpallocServerOptions, SpallocServerOptions>? options = null)
    {
        triads ??= [(0, 0, 0)];
        var boards = triads.Select(t =>
        {
            var (chipX, chipY) = SpallocBoard.EthernetChipOf(t.X, t.Y, t.Z);
            return new SpallocBoard(t.X, t.Y, t.Z, chipX, chipY, IPAddress.Loopback, null);
        }).ToArray();
        var serverOptions = new SpallocServerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0) };
        serverOptions = options?.Invoke(serverOptions) ?? serverOptions;
        var config = new SpallocConfig(new SpallocMachine("testbed", ["default"], boards), Users.Value, serverOptions);
        var time = new ManualTime();
        var server = await SpallocServer.StartAsync(config, time, CancellationToken.None);
        return new SpallocTestServer(server, time);
    }

    /// <summary>A client logged in with <paramref name="token"/> that has read the service root (so it has the CSRF token).</summary>
    public async Task<SpallocHttp> LoginAsync(string token = AliceToken)
    {
        var http = new SpallocHttp(BaseUri);
        var login = await http.LoginAsync(token);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        await http.ServiceAsync();
        return http;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private static SpallocUser User(string name, string token, bool admin)
    {
        Assert.True(TokenHash.TryParse(TokenHash.Create(token, TokenHash.MinIterations), out var hash, out _));
        return new SpallocUser(name, hash, admin);
    }
}
