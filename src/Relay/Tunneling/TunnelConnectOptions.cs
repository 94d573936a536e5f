using System.Net;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tunneling;

/// <summary>What <c>relay tunnel connect</c> runs with (see <see cref="TunnelPortal"/>).</summary>
public sealed record TunnelConnectOptions
{
    /// <summary>How to reach the tunnel server (TCP or TLS).</summary>
    public required ITunnelConnector Connector { get; init; }

    /// <summary>How logs name the server, e.g. "gateway.example.org:17896".</summary>
    public required string ServerLabel { get; init; }

    /// <summary>Local address the SCP and boot ports bind to. Default 127.0.0.1 (only this machine's tools).</summary>
    public IPAddress Bind { get; init; } = IPAddress.Loopback;

    /// <summary>Local SCP port tools send to. Default 17893 (0 = any free port).</summary>
    public int ScpPort { get; init; } = 17893;

    /// <summary>Local boot port tools send to. Default 54321 (0 = any free port).</summary>
    public int BootPort { get; init; } = 54321;

    /// <summary>
    /// Live output to forward: for each, the server sets the board's IP tag (STRIP + USE_SENDER) to a socket of its own
    /// and the tag's packets reach every listed local visualiser address. Default none.
    /// </summary>
    public IReadOnlyList<LiveOutputRoute> LiveOutputs { get; init; } = [];

    /// <summary>
    /// Live input: each local UDP port whose datagrams go to a board UDP port (a reverse IP tag's), each sender its own
    /// channel. Default none.
    /// </summary>
    public IReadOnlyList<LiveInputRoute> LiveInputs { get; init; } = [];

    /// <summary>Most applications served at once per port. Default 64.</summary>
    public int MaxFlows { get; init; } = 64;

    /// <summary>An application idle this long loses its channel (a new datagram opens another). Default 5 min.</summary>
    public TimeSpan FlowIdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The tunnel's settings: the pre-shared key to prove (<see cref="TunnelClientOptions.Key"/>), limits, keepalive, reconnect backoff, log.</summary>
    public required TunnelClientOptions Tunnel { get; init; }
}

/// <summary>One <c>--live-output TAG=HOST:PORT[,HOST:PORT]</c>: IP tag <paramref name="Tag"/> (0–7) fanned out to <paramref name="Visualisers"/>.</summary>
public sealed record LiveOutputRoute(int Tag, IReadOnlyList<IPEndPoint> Visualisers);

/// <summary>One <c>--live-input LOCAL_PORT=BOARD_PORT</c>: what local tools send to <paramref name="LocalPort"/> reaches the board's UDP <paramref name="BoardPort"/>.</summary>
public sealed record LiveInputRoute(int LocalPort, int BoardPort);
