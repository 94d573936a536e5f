using System.Diagnostics;
using System.Net;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Demo;

/// <summary>
/// The demo's path to its board: direct; through an in-process `relay client` and `relay server` pair (UDP, or TCP
/// with -t -T; live output then comes straight from the board, as the classic relays carry SCP and boot only); or
/// through a tunnel server and client in this process (loopback TCP, a fresh key), the client's live output of the
/// spike tag going to the demo's listener.
/// </summary>
public sealed class DemoPath : IAsyncDisposable
{
    private static readonly TimeSpan SetUpLimit = TimeSpan.FromSeconds(5);

    private readonly TunnelGateway? _gateway;
    private readonly TunnelPortal? _portal;
    private readonly ClassicProxyHost[] _relays;

    private DemoPath(IPEndPoint scp, IPEndPoint boot, string description, TunnelGateway? gateway = null, TunnelPortal? portal = null, ClassicProxyHost[]? relays = null)
    {
        _relays = relays ?? [];
        ScpEndPoint = scp;
        BootEndPoint = boot;
        Description = description;
        _gateway = gateway;
        _portal = portal;
    }

    /// <summary>Where host tools send SCP.</summary>
    public IPEndPoint ScpEndPoint { get; }

    /// <summary>Where the boot sender sends.</summary>
    public IPEndPoint BootEndPoint { get; }

    /// <summary>For the demo's first line, e.g. "driven directly".</summary>
    public string Description { get; }

    /// <summary>
    /// Starts the path. Through the tunnel, waits (at most 5 s) until the client is connected and the server has set
    /// IP tag <paramref name="spikeTag"/> towards itself, so the spike step can start at once.
    /// </summary>
    /// <exception cref="DemoStepException">The tunnel did not come up in time.</exception>
    public static async Task<DemoPath> StartAsync(DemoVia via, BoardEmulator board, int spikeTag, IPEndPoint spikeListener, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(board);
        if (via == DemoVia.Direct)
        {
            return new DemoPath(board.ScpEndPoint, board.BootEndPoint, "driven directly");
        }

        if (via is DemoVia.Classic or DemoVia.ClassicTcp)
        {
            return await StartClassicAsync(via, board, ct).ConfigureAwait(false);
        }

        var key = TunnelKey.Generate();
        var gateway = TunnelGateway.Start(new TunnelServeOptions
        {
            BoardScp = board.ScpEndPoint,
            BoardBoot = board.BootEndPoint,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Tunnel = new TunnelServerOptions { Key = key },
        });
        TunnelPortal? portal = null;
        try
        {
            portal = TunnelPortal.Start(new TunnelConnectOptions
            {
                Connector = new TcpTunnelConnector("127.0.0.1", gateway.ListenEndPoint.Port),
                ServerLabel = gateway.ListenEndPoint.ToString(),
                ScpPort = 0,
                BootPort = 0,
                LiveOutputs = [new LiveOutputRoute(spikeTag, [spikeListener])],
                Tunnel = new TunnelClientOptions { Key = key },
            });
            var clock = Stopwatch.StartNew();
            while (gateway.LiveOutputSockets < 1 || !portal.Client.Session.IsConnected)
            {
                if (clock.Elapsed > SetUpLimit)
                {
                    throw new DemoStepException($"the in-process tunnel did not come up within {SetUpLimit.TotalSeconds:0} s");
                }

                await Task.Delay(5, ct).ConfigureAwait(false);
            }

            return new DemoPath(portal.ScpEndPoint, portal.BootEndPoint,
                $"driven through relay tunnel connect (SCP {portal.ScpEndPoint}, boot {portal.BootEndPoint}) -> TCP -> relay tunnel serve {gateway.ListenEndPoint}",
                gateway, portal);
        }
        catch
        {
            if (portal is not null)
            {
                await portal.DisposeAsync().ConfigureAwait(false);
            }

            await gateway.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Through the tunnel: how the spike tag reaches <paramref name="listener"/> (the tunnel set the tag); direct: null (the demo sets it).</summary>
    public string? LiveOutputRoute(int tag, IPEndPoint listener) =>
        _portal is null ? null : $"the tunnel server's socket, through the tunnel to {listener}";

    private static async Task<DemoPath> StartClassicAsync(DemoVia via, BoardEmulator board, CancellationToken cancellationToken)
    {
        var tcp = via == DemoVia.ClassicTcp;
        ClassicProxyHost? server = null;
        try
        {
            server = await ClassicProxyHost.StartAsync(
                new ClassicProxyOptions
                {
                    Role = ClassicRole.Server,
                    Target = board.ScpEndPoint.Address.ToString(),
                    BindAddress = IPAddress.Loopback,
                    ScpPort = board.ScpEndPoint.Port,
                    BootPort = board.BootEndPoint.Port,
                    ScpTunnelPort = 0,
                    BootTunnelPort = 0,
                    ScpViaTcp = tcp,
                    BootViaTcp = tcp,
                },
                cancellationToken).ConfigureAwait(false);
            var client = await ClassicProxyHost.StartAsync(
                new ClassicProxyOptions
                {
                    Role = ClassicRole.Client,
                    Target = IPAddress.Loopback.ToString(),
                    ScpPort = 0,
                    BootPort = 0,
                    ScpTunnelPort = server.Scp.ListenEndPoint.Port,
                    BootTunnelPort = server.Boot.ListenEndPoint.Port,
                    ScpViaTcp = tcp,
                    BootViaTcp = tcp,
                },
                cancellationToken).ConfigureAwait(false);
            var description = tcp
                ? $"through relay client {client.Scp.ListenEndPoint} -> TCP -> relay server {server.Scp.ListenEndPoint} (-t -T, boot re-paced)"
                : $"through relay client {client.Scp.ListenEndPoint} -> UDP -> relay server {server.Scp.ListenEndPoint}";
            return new DemoPath(client.Scp.ListenEndPoint, client.Boot.ListenEndPoint, description, relays: [client, server]);
        }
        catch
        {
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Stops the relays of the path (nothing for the direct path).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var relay in _relays)
        {
            await relay.DisposeAsync().ConfigureAwait(false);
        }

        if (_portal is not null)
        {
            await _portal.DisposeAsync().ConfigureAwait(false);
        }

        if (_gateway is not null)
        {
            await _gateway.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Which way `relay demo` reaches the emulated board.</summary>
public enum DemoVia
{
    /// <summary>Straight to the board's UDP ports.</summary>
    Direct,

    /// <summary>Through a tunnel client and server in this process (loopback TCP, a fresh key).</summary>
    Tunnel,

    /// <summary>Through an in-process `relay client` and `relay server` pair in UDP mode.</summary>
    Classic,

    /// <summary>Through an in-process `relay client -t -T` and `relay server -t -T` pair (TCP between them).</summary>
    ClassicTcp,
}
