using System.Net;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// What a channel is for on the peer's side (OPEN's target): an address and port (a board and 17893), only a port (the
/// server port an IP tag delivers to), or neither (<see cref="Default"/>: the peer's configured default).
/// </summary>
public readonly record struct TunnelTarget(IPAddress? Address, ushort Port)
{
    /// <summary>No address, port 0: whatever the peer is configured to use.</summary>
    public static TunnelTarget Default => default;

    /// <inheritdoc/>
    public override string ToString() => Address is null ? (Port == 0 ? "default" : $"port {Port}") : new IPEndPoint(Address, Port).ToString();
}
