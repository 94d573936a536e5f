using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

/// <summary>An emulated board, a server with a one-board machine, alice logged in with a READY job, and her proxy websocket.</summary>
internal sealed class ProxyScenario : IAsyncDisposable
{
    private ProxyScenario(BoardEmulator board, SpallocTestServer server, SpallocHttp http, string jobUrl, ProxyClient client)
    {
        Board = board;
        Server = server;
        Http = http;
        JobUrl = jobUrl;
        Client = client;
    }

    public BoardEmulator Board { get; }

    public SpallocTestServer Server { get; }

    public SpallocProxyCounters Counters => Server.Server.Counters;

    public SpallocHttp Http { get; }

    public string JobUrl { get; }

    public ProxyClient Client { get; }

    public int ScpPort => Board.ScpEndPoint.Port;

    public int BootPort => Board.BootEndPoint.Port;

    public static async Task<ProxyScenario> StartAsync(
        EmulatorOptions? board = null,
        Func<SpallocServerOptions, SpallocServerOptions>? options = null,
        bool startReading = true,
        int receiveBufferBytes = 0)
    {
        var emulator = new BoardEmulator(board ?? Loopback.Board());
        SpallocTestServer? server = null;
        SpallocHttp? http = null;
        try
        {
            // jobs/{id}/memory reaches the emulator on its own port (a real board's is 17893).
            var scpPort = emulator.ScpEndPoint.Port;
            server = await SpallocTestServer.StartAsync(options: o => (options ?? (x => x))(o with { BoardScpPort = scpPort }));
            http = await server.LoginAsync();
            var job = await http.CreateJobAsync();
            Assert.Equal("READY", await http.StateAsync(job));
            var client = await ProxyClient.ConnectAsync(await http.ProxyUriAsync(job), http.Cookies, startReading, receiveBufferBytes);
            return new ProxyScenario(emulator, server, http, job, client);
        }
        catch
        {
            http?.Dispose();
            if (server is not null)
            {
                await server.DisposeAsync();
            }

            emulator.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        Http.Dispose();
        await Server.DisposeAsync();
        Board.Dispose();
    }
}
