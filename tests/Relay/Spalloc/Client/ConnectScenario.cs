using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Spalloc.Client;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc.Client;

/// <summary>An emulated board, a server whose one board is it, alice's READY job and a connection to it.</summary>
internal sealed class ConnectScenario : IAsyncDisposable
{
    private ConnectScenario(BoardEmulator board, SpallocTestServer server, SpallocClient client, Uri job, SpallocConnection connection)
    {
        Board = board;
        Server = server;
        Client = client;
        Job = job;
        Connection = connection;
    }

    public BoardEmulator Board { get; }

    public SpallocTestServer Server { get; }

    public SpallocClient Client { get; }

    public Uri Job { get; }

    public int JobId => int.Parse(Job.Segments[^1], System.Globalization.CultureInfo.InvariantCulture);

    public SpallocConnection Connection { get; }

    public static async Task<ConnectScenario> StartAsync(
        EmulatorOptions board, Func<SpallocConnectOptions, SpallocConnectOptions>? options = null, Func<SpallocServerOptions, SpallocServerOptions>? serverOptions = null)
    {
        var emulator = new BoardEmulator(board);
        SpallocTestServer? server = null;
        SpallocClient? client = null;
        try
        {
            server = await SpallocTestServer.StartAsync(options: serverOptions);
            client = new SpallocClient(server.BaseUri, new SpallocCredentials("alice", SpallocTestServer.AliceToken, null), new SpallocClientOptions { RequestTimeout = Loopback.Limit });
            var job = await client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 });
            var connect = new SpallocConnectOptions
            {
                BoardScpPort = emulator.ScpEndPoint.Port,
                BoardBootPort = emulator.BootEndPoint.Port,
                Proxy = new SpallocProxyOptions { CallTimeout = Loopback.Limit },
            };
            connect = options?.Invoke(connect) ?? connect;
            var connection = await SpallocConnection.StartAsync(client, job, connect, Loopback.Limit, null, CancellationToken.None);
            return new ConnectScenario(emulator, server, client, job, connection);
        }
        catch
        {
            client?.Dispose();
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
        await Connection.DisposeAsync();
        Client.Dispose();
        await Server.DisposeAsync();
        Board.Dispose();
    }
}
