namespace FastSpinnRelay.Tunnel;

/// <summary>
/// Datagrams handed to <see cref="TunnelChannel.TrySendAll{TSource}"/> one after another (a receive batch, say), so a
/// run costs one lock and one wake-up of the send loop instead of one per datagram.
/// </summary>
public interface ITunnelDatagramSource
{
    /// <summary>
    /// The next datagram to queue, or false when the source is exhausted. May be called while the session's lock is
    /// held: only read memory here (no I/O, no locks, no callbacks into the tunnel). The span must stay valid until the
    /// next call.
    /// </summary>
    bool TryNext(out ReadOnlySpan<byte> datagram);
}
