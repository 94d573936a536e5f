using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.TestSupport;

/// <summary>A started server and client over one transport (in memory unless given), disposed together.</summary>
internal sealed class TunnelPair : IAsyncDisposable
{
    public static readonly TunnelKey Key = TunnelKey.FromBytes([.. Enumerable.Range(1, 32).Select(i => (byte)i)]);

    private TunnelPair(TunnelServer server, TunnelClient client, RecordingAcceptor serverAcceptor, RecordingAcceptor clientAcceptor, TestLog log)
    {
        Server = server;
        Client = client;
        ServerAcceptor = serverAcceptor;
        ClientAcceptor = clientAcceptor;
        Log = log;
    }

    public TunnelServer Server { get; }

    public TunnelClient Client { get; }

    public RecordingAcceptor ServerAcceptor { get; }

    public RecordingAcceptor ClientAcceptor { get; }

    public TestLog Log { get; }

    public TunnelSession ServerSession => Server.Sessions.Single();

    public static async Task<TunnelPair> StartAsync(
        ITunnelListener? listener = null, ITunnelConnector? connector = null,
        TunnelServerOptions? serverOptions = null, TunnelClientOptions? clientOptions = null, TestLog? log = null,
        bool echo = false, bool waitConnected = true)
    {
        log ??= new TestLog();
        if (listener is null || connector is null)
        {
            var memory = new InMemoryTunnelTransport();
            listener ??= memory;
            connector ??= memory;
        }

        serverOptions ??= ServerOptions(log);
        clientOptions ??= ClientOptions(log);
        var serverAcceptor = new RecordingAcceptor(echo);
        var clientAcceptor = new RecordingAcceptor(echo);
        var tunnelServer = new TunnelServer(serverOptions, listener, serverAcceptor);
        var tunnelClient = new TunnelClient(clientOptions, connector, clientAcceptor);
        tunnelServer.Start();
        tunnelClient.Start();
        var pair = new TunnelPair(tunnelServer, tunnelClient, serverAcceptor, clientAcceptor, log);
        if (waitConnected)
        {
            await Bounded.Wait(tunnelClient.WhenConnectedAsync(), "the client to connect");
        }

        return pair;
    }

    public static TunnelServerOptions ServerOptions(TestLog log) => new() { Key = Key, Log = log };

    /// <summary>Client options that reconnect quickly (5 ms doubling to 50 ms), so cut tests finish soon.</summary>
    public static TunnelClientOptions ClientOptions(TestLog log, TunnelKey? key = null) => new()
    {
        Key = key ?? Key,
        Log = log,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(5),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>Client options that prove the TLS client certificate instead of a key, reconnecting as quickly.</summary>
    public static TunnelClientOptions CertificateClientOptions(TestLog log) => new()
    {
        Key = null,
        Log = log,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(5),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(50),
    };

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
    }
}
