namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// A snapshot of a <see cref="UdpSocket"/>'s counters, all totals since the socket was created. Each field is
/// read atomically (64-bit) but the snapshot as a whole is not a single instant.
/// </summary>
/// <param name="DatagramsIn">Datagrams received (including truncated ones).</param>
/// <param name="BytesIn">Payload bytes received (as held, i.e. after truncation).</param>
/// <param name="DatagramsOut">Datagrams the kernel accepted for sending.</param>
/// <param name="BytesOut">Payload bytes the kernel accepted for sending.</param>
/// <param name="SendDrops">Datagrams dropped because the kernel send buffer or device queue was full
/// (EAGAIN/ENOBUFS on an immediate send, or a batched send whose queue was full and could not be flushed).</param>
/// <param name="SendErrors">Datagrams not sent for any other reason (unexpected errno, EMSGSIZE, or an ICMP
/// error that repeated on the retry).</param>
/// <param name="ReceiveErrors">Receive calls that failed unexpectedly (reported to the error sink), plus datagrams of a coalesced read lost because the batch holding them was used for another socket first.</param>
/// <param name="IcmpErrors">ICMP-caused errors seen on send or receive (connected sockets only on Linux);
/// never fatal.</param>
/// <param name="Truncated">Datagrams longer than the receive slot, cut and flagged.</param>
public readonly record struct UdpSocketCounters(
    long DatagramsIn,
    long BytesIn,
    long DatagramsOut,
    long BytesOut,
    long SendDrops,
    long SendErrors,
    long ReceiveErrors,
    long IcmpErrors,
    long Truncated);
