namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// Datagrams read one at a time, in order, by <see cref="UdpSocket.QueueSendRunTo{TSource}"/>: usually a ref struct
/// walking a caller's own buffer (a tunnel batch's records), so the socket copies each datagram straight from there.
/// </summary>
public interface IUdpDatagramSource
{
    /// <summary>The next datagram (valid until the next call), or false when there are no more.</summary>
    bool TryNext(out ReadOnlySpan<byte> datagram);
}
