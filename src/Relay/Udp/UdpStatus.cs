namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// Outcome of a <see cref="UdpSocket"/> operation. Errors are values: nothing on the I/O path throws for
/// anything a peer or the network can cause. What each value means for a given call is documented on it.
/// </summary>
public enum UdpStatus : byte
{
    /// <summary>Done: datagrams received, sent, or queued.</summary>
    Ok = 0,

    /// <summary>
    /// Nothing to receive; or the kernel send buffer is full (an immediate send dropped the datagram,
    /// a flush kept the rest queued).
    /// </summary>
    WouldBlock,

    /// <summary>
    /// An ICMP error reached a connected socket (ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN;
    /// ECONNRESET on Windows). Counted in <see cref="UdpSocketCounters.IcmpErrors"/>; the socket stays usable.
    /// </summary>
    PeerUnreachable,

    /// <summary>The datagram is larger than the socket or path allows (EMSGSIZE); it was not sent.</summary>
    MessageTooLarge,

    /// <summary>The socket has been disposed.</summary>
    Closed,

    /// <summary>An unexpected error: counted, reported to the <see cref="IUdpErrorSink"/>, and survived.</summary>
    Failed,
}

/// <summary>Which operation an error report concerns.</summary>
public enum UdpOperation : byte
{
    Receive,
    Send,

    /// <summary>Waiting for readiness (epoll or Select) in a <see cref="UdpEventLoop"/>.</summary>
    Poll,

    /// <summary>Adding a socket to or removing it from a <see cref="UdpEventLoop"/>.</summary>
    Register,
}
