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
}
