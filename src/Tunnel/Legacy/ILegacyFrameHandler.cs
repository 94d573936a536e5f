namespace FastSpinnRelay.Tunnel.Legacy;

/// <summary>Receives the datagrams a spinnaker_proxy TCP stream carries, one whole frame at a time.</summary>
/// <remarks>
/// Called on the connection's receive task (a thread-pool thread), one call at a time per connection, in stream
/// order. Must not block: forward the datagram (e.g. one UDP send, or queue it for one batched send) and return.
/// The span stays valid and unchanged until the next <see cref="OnFramesEnd"/> returns, in pinned memory, so a handler
/// may record where frames lie and send them from there at <see cref="OnFramesEnd"/> (never later). An exception closes
/// the connection with <see cref="StreamCloseReason.Fault"/>.
/// </remarks>
public interface ILegacyFrameHandler
{
    /// <summary>One datagram from the stream.</summary>
    void OnFrame(ReadOnlySpan<byte> datagram);

    /// <summary>
    /// The frames handed on since the last call must leave now: called after the whole frames of each read, before
    /// every pacing wait (so each paced frame leaves at its time), and before the connection ends. A handler that
    /// queues frames sends them here; one that sends each at once does nothing.
    /// </summary>
    void OnFramesEnd();
}
