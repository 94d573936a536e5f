using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.TestSupport;

/// <summary>Connects through <see cref="Target"/>, which a test may change (to <see cref="RefusingConnector"/>: the link is gone for good).</summary>
internal sealed class SwitchingConnector(ITunnelConnector target) : ITunnelConnector
{
    public ITunnelConnector Target { get; set; } = target;

    public ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken) => Target.ConnectAsync(cancellationToken);
}

/// <summary>A server that cannot be reached (the client's machine lost its network).</summary>
internal sealed class RefusingConnector : ITunnelConnector
{
    public ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken) =>
        ValueTask.FromException<ITunnelConnection>(new IOException("connection refused"));
}
