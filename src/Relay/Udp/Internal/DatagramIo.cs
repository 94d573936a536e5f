namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>How an I/O call failed, already classified (the caller decides what to count and report).</summary>
internal enum IoError : byte
{
    None = 0,

    /// <summary>EAGAIN: nothing to receive, or the send buffer is full.</summary>
    WouldBlock,

    /// <summary>ENOBUFS: the device queue or kernel memory is short; the datagram is lost.</summary>
    NoBuffers,

    /// <summary>An ICMP error reported on a connected socket; the call did not transfer the datagram.</summary>
    PeerUnreachable,

    /// <summary>EMSGSIZE.</summary>
    TooLarge,

    /// <summary>The socket is closed.</summary>
    Closed,

    /// <summary>Anything else; <see cref="IoResult.Code"/> holds the platform error number.</summary>
    Unexpected,
}

/// <summary>
/// Result of one I/O call: <see cref="Count"/> datagrams transferred, then (if <see cref="Error"/> is not None)
/// the error hit by the next datagram.
/// </summary>
internal readonly record struct IoResult(int Count, IoError Error, int Code)
{
    public static IoResult Done(int count) => new(count, IoError.None, 0);
}

/// <summary>
/// The datagram calls a <see cref="UdpSocket"/> makes: the Linux batch syscalls or portable Socket calls.
/// Implementations retry EINTR themselves and never throw for I/O errors.
/// </summary>
internal abstract class DatagramIo
{
    /// <summary>Whether this is the recvmmsg/sendmmsg path.</summary>
    public abstract bool IsNative { get; }

    /// <summary>Whether sends may carry UDP_SEGMENT (GSO groups and packed slots): on, and not refused by the kernel.</summary>
    public virtual bool Segmentation => false;

    /// <summary>Receives up to <c>buffer.Capacity</c> datagrams without waiting, filling lengths, flags and sources.</summary>
    public abstract IoResult Receive(MessageBuffer buffer);

    /// <summary>Sends the prepared headers [start, start + count) without waiting.</summary>
    public abstract IoResult SendBatch(MessageBuffer buffer, int start, int count);

    /// <summary>Sends one datagram without waiting; an empty destination means the connected peer.</summary>
    public abstract IoResult SendOne(ReadOnlySpan<byte> payload, in UdpAddress destination);

    /// <summary>
    /// Sends the first <paramref name="count"/> messages <paramref name="batch"/> prepared (one sendmmsg) without waiting:
    /// <see cref="IoResult.Count"/> is messages sent. Only the native path has it (<see cref="IsNative"/>); others send
    /// datagram by datagram instead.
    /// </summary>
    public virtual IoResult SendMessages(UdpInPlaceBatch batch, int count) =>
        throw new NotSupportedException("Prepared messages need the native path.");
}
