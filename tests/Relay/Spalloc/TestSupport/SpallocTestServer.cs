using System.Net;
using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Tests.Shared;

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

    /// <summary>Binds tried by <see cref="RestartAsync"/> while the old server's listener may still be closing (100 ms apart).</summary>
    private const int RestartBindAttempts = 20;

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

    /// <summary>
    /// Starts a server whose machine has <paramref name="triads"/> boards (all at 127.0.0.1), in the given order, on
    /// <paramref name="time"/> (default a new clock at 2026-01-01).
    /// </summary>
    public static async Task<SpallocTestServer> StartAsync(
        (int X, int Y, int Z)[]? triads = null, Func<SpallocServerOptions, SpallocServerOptions>? options = null, ManualTime? time = null)
    {
        var serverOptions = new SpallocServerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0) };
        serverOptions = options?.Invoke(serverOptions) ?? serverOptions;
        time ??= new ManualTime();
        var server = await SpallocServer.StartAsync(Config(triads, serverOptions), time, CancellationToken.None);
        return new SpallocTestServer(server, time);
    }

    /// <summary>The configuration <see cref="StartAsync"/> uses: the test machine and users with <paramref name="options"/>.</summary>
    public static SpallocConfig Config((int X, int Y, int Z)[]? triads, SpallocServerOptions options)
    {
        triads ??= [(0, 0, 0)];
        var boards = triads.Select(t =>
        {
            var (chipX, chipY) = SpallocBoard.EthernetChipOf(t.X, t.Y, t.Z);
            return new SpallocBoard(t.X, t.Y, t.Z, chipX, chipY, IPAddress.Loopback, null);
        }).ToArray();
        return new SpallocConfig(new SpallocMachine("testbed", ["default"], boards), Users.Value, options);
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

    /// <summary>
    /// Stops this server and starts a new one on its port (as an admin restarts `spalloc serve`), with
    /// <paramref name="options"/> and <paramref name="time"/> (default a new clock), calling <paramref name="whileDown"/>
    /// in between. While only our old listener
    /// lingers the bind is retried (bounded); a stranger on the port is <see cref="PortTakenByAnotherException"/>, so
    /// run the scenario under <see cref="FreedPort.RetryAsync"/>.
    /// </summary>
    public async Task<SpallocTestServer> RestartAsync(
        Func<SpallocServerOptions, SpallocServerOptions>? options = null, ManualTime? time = null, Action? whileDown = null)
    {
        var listen = Server.EndPoint;
        var freed = FreedPort.Tcp(listen.Port);
        await DisposeAsync();
        whileDown?.Invoke();
        return await freed.RebindAsync(async () =>
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await StartAsync(options: o => (options?.Invoke(o) ?? o) with { Listen = listen }, time: time);
                }
                catch (IOException) when (attempt < RestartBindAttempts && freed.Strangers().Count == 0)
                {
                    await Task.Delay(100);
                }
            }
        });
    }

    /// <summary>A user with <paramref name="token"/>, hashed with the fewest iterations allowed (quick to check).</summary>
    public static SpallocUser User(string name, string token, bool admin = false)
    {
        Assert.True(TokenHash.TryParse(TokenHash.Create(token, TokenHash.MinIterations), out var hash, out _));
        return new SpallocUser(name, hash, admin);
    }
}
