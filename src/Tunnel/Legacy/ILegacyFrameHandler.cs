namespace FastSpinnRelay.Tunnel.Legacy;

/// <summary>Receives the datagrams a spinnaker_proxy TCP stream carries, one whole frame at a time.</summary>
/// <remarks>
/// Called on the connection's receive task (a thread-pool thread), one call at a time per connection, in stream
/// order. Must not block: forward the datagram (e.g. one UDP send) and return. The span is valid only during the
/// call. An exception closes the connection with <see cref="StreamCloseReason.Fault"/>.
/// </remarks>
public interface ILegacyFrameHandler
{
    void OnFrame(ReadOnlySpan<byte> datagram);
}
