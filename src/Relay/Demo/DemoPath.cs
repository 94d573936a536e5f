using System.Net;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Emulator;

namespace FastSpinnRelay.Relay.Demo;

/// <summary>Which way `relay demo` reaches the emulated board.</summary>
public enum DemoVia
{
    /// <summary>Straight to the board's ports.</summary>
    Direct,

    /// <summary>Through an in-process `relay client` and `relay server` pair in UDP mode.</summary>
    Classic,

    /// <summary>Through an in-process `relay client -t -T` and `relay server -t -T` pair (TCP between them).</summary>
    ClassicTcp,
}

/// <summary>
/// The ports the demo's host tools talk to, and whatever relays stand between them and the board. Disposing
/// stops the relays. Live output always goes straight from the board: the classic relays carry SCP and boot only.
/// </summary>
public sealed class DemoPath : IAsyncDisposable
{
    private readonly ClassicProxyHost[] relays;

    private DemoPath(string description, IPEndPoint scp, IPEndPoint boot, params ClassicProxyHost[] relays)
    {
        Description = description;
        ScpEndPoint = scp;
        BootEndPoint = boot;
        this.relays = relays;
    }

    public string Description { get; }

    public IPEndPoint ScpEndPoint { get; }

    public IPEndPoint BootEndPoint { get; }

    public static async Task<DemoPath> StartAsync(DemoVia via, BoardEmulator board, CancellationToken cancellationToken)
    {
        if (via == DemoVia.Direct)
        {
            return new DemoPath("driven directly", board.ScpEndPoint, board.BootEndPoint);
        }

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
            return new DemoPath(description, client.Scp.ListenEndPoint, client.Boot.ListenEndPoint, client, server);
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

    public async ValueTask DisposeAsync()
    {
        foreach (var relay in relays)
        {
            await relay.DisposeAsync().ConfigureAwait(false);
        }
    }
}
