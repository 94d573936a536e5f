using System.Net;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tunneling;

/// <summary>What <c>relay tunnel serve</c> runs with (see <see cref="TunnelGateway"/>).</summary>
public sealed record TunnelServeOptions
{
    /// <summary>Default TCP port the tunnel server listens on: next to spinnaker_proxy's 17894 and 17895, clear of both.</summary>
    public const int DefaultPort = 17896;

    /// <summary>The board's SCP endpoint (port 17893 on a real board).</summary>
    public required IPEndPoint BoardScp { get; init; }

    /// <summary>The board's boot endpoint (port 54321 on a real board).</summary>
    public required IPEndPoint BoardBoot { get; init; }

    /// <summary>Where tunnel clients connect. Default 0.0.0.0:17896.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Any, DefaultPort);

    /// <summary>TLS for the listener; null for plain TCP.</summary>
    public TunnelTlsServerOptions? Tls { get; init; }

    /// <summary>Tunnel clients allowed to connect (by address); others are closed before the handshake. Default anyone.</summary>
    public PeerAllowList Allow { get; init; } = PeerAllowList.Anyone;

    /// <summary>Smallest gap between boot packets sent to the board. Default 0: the client's own spacing (the DATA gap) is kept.</summary>
    public TimeSpan BootMinGap { get; init; }

    /// <summary>The tunnel's settings: the pre-shared key clients must prove (<see cref="TunnelServerOptions.Key"/>), limits, keepalive, log.</summary>
    public required TunnelServerOptions Tunnel { get; init; }
}
