using System.Net;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>What <see cref="ClassicProxyHost"/> needs from a route besides its public view.</summary>
internal interface IHostedRoute : IClassicRoute, IAsyncDisposable
{
    /// <summary>
    /// Checks the target can be used before traffic flows (the TCP client connects once, as the original does).
    /// Throws <see cref="Cli.RelayToolException"/> with one clear line when it cannot.
    /// </summary>
    Task PrepareAsync(CancellationToken cancellationToken);

    /// <summary>Starts receiving (registers with the loop, starts accepting).</summary>
    void Start();

    /// <summary>
    /// Points the route at <paramref name="target"/>, named <paramref name="label"/> in logs (a reload found the board's
    /// name at another address): flows opened from now on go there, and open ones follow where their sockets can.
    /// </summary>
    Task<RouteMove> MoveTargetAsync(IPEndPoint target, string label);
}
