namespace FastSpinnRelay.Tunnel;

/// <summary>
/// A refusal that ended a <see cref="TunnelClient"/>'s reconnecting (<see cref="TunnelClientOptions.StopWhenRefused"/>):
/// why (<see cref="TunnelCloseReasons.IsFinalRefusal"/>), and what the handshake or the TLS layer said about it.
/// </summary>
/// <param name="Reason">The refusal's kind: always one for which <see cref="TunnelCloseReasons.IsFinalRefusal"/> holds.</param>
/// <param name="Detail">The server's ERROR text or our own finding, for a log line (untrusted text already escaped).</param>
public sealed record TunnelRefusal(TunnelCloseReason Reason, string Detail);
