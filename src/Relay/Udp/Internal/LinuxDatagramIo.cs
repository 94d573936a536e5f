using System.Net.Sockets;
using System.Runtime.InteropServices;
using static FastSpinnRelay.Relay.Udp.Internal.LinuxInterop;

namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>
/// recvmmsg/sendmmsg/sendto on the socket's descriptor, MSG_DONTWAIT. Each call holds a reference on the
/// <see cref="SafeSocketHandle"/>, so a concurrent Dispose cannot close (and the kernel cannot reuse) the
/// descriptor in the middle of a call; once it is closed, calls return <see cref="IoError.Closed"/>.
/// With <paramref name="segmentation"/>, batches of same-sized datagrams to one destination go out as UDP GSO
/// groups (<see cref="SegmentedSendPlan"/>); any error on a grouped send repeats it as plain sendmmsg, so errors
/// are still met and counted per datagram, and a kernel that refuses UDP_SEGMENT turns segmentation off.
/// Counts in results are queue slots (headers); a slot may hold a packed run of datagrams (see <see cref="MessageBuffer"/>).
/// </summary>
internal sealed unsafe class LinuxDatagramIo(SafeSocketHandle handle, bool segmentation = false) : DatagramIo
{
    private const int SendFlags = MSG_DONTWAIT | MSG_NOSIGNAL;

    private readonly int _fd = (int)handle.DangerousGetHandle();
    private SegmentedSendPlan? _plan;

    private bool _segmentation = segmentation;

    /// <summary>True while grouped (GSO) sends are on: asked for, and not refused by the kernel.</summary>
    public override bool Segmentation => _segmentation;

    public override bool IsNative => true;

    public override IoResult Receive(MessageBuffer buffer)
    {
        if (!TryAcquire())
        {
            return Closed;
        }

        try
        {
            buffer.PrepareReceive();
            int received;
            do
            {
                received = RecvMMsg(_fd, buffer.Headers, (uint)buffer.Capacity, MSG_DONTWAIT, null);
            }
            while (Interrupted(received));

            buffer.SetReceived(Math.Max(received, 0));
            return Outcome(received);
        }
        finally
        {
            handle.DangerousRelease();
            buffer.KeepAlive();
        }
    }

    public override IoResult SendBatch(MessageBuffer buffer, int start, int count)
    {
        if (!TryAcquire())
        {
            return Closed;
        }

        try
        {
            if (_segmentation && count > 1 && TrySendSegmented(buffer, start, count, out var grouped))
            {
                return grouped;
            }

            return Outcome(SendAll(buffer.Headers + start, count));
        }
        finally
        {
            handle.DangerousRelease();
            buffer.KeepAlive();
        }
    }

    /// <summary>
    /// Sends the datagrams as GSO groups. False (nothing sent) when grouping gains nothing or a grouped send failed
    /// for a reason that may be one datagram's (too large, no buffers, unexpected): the caller then sends them
    /// plainly, which meets the error per datagram as before.
    /// </summary>
    private bool TrySendSegmented(MessageBuffer buffer, int start, int count, out IoResult result)
    {
        var plan = _plan is { } existing && existing.Capacity >= buffer.Capacity ? existing : _plan = new SegmentedSendPlan(buffer.Capacity);
        plan.Build(buffer, start, count);
        result = default;
        if (plan.Segmented == 0)
        {
            return false;
        }

        var sent = SendAll(plan.Headers, plan.Count);
        plan.KeepAlive();
        if (sent >= 0)
        {
            result = IoResult.Done(plan.Slots(sent));
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        var error = Classify(errno);
        if (error is IoError.WouldBlock or IoError.PeerUnreachable or IoError.Closed)
        {
            // Nothing was sent; the caller handles these per batch (waits, counts the ICMP error and retries, stops).
            result = new IoResult(0, error, errno);
            return true;
        }

        StopSegmentingIfRefused(plan.Headers, errno);
        return false;
    }

    public override IoResult SendMessages(UdpInPlaceBatch batch, int count)
    {
        var messages = batch.Headers;
        if (!TryAcquire())
        {
            return Closed;
        }

        try
        {
            var sent = SendAll(messages, count);
            var result = Outcome(sent);
            if (sent < 0)
            {
                StopSegmentingIfRefused(messages, result.Code);
            }

            return result;
        }
        finally
        {
            handle.DangerousRelease();
            batch.KeepAlive();
        }
    }

    public override IoResult SendOne(ReadOnlySpan<byte> payload, in UdpAddress destination)
    {
        if (!TryAcquire())
        {
            return Closed;
        }

        try
        {
            fixed (byte* data = payload)
            fixed (UdpAddress* address = &destination)
            {
                var length = (uint)destination.SockAddrLength;
                nint sent;
                do
                {
                    sent = SendTo(_fd, data, (nuint)payload.Length, SendFlags, length == 0 ? null : address, length);
                }
                while (Interrupted(sent));

                return Outcome(sent < 0 ? -1 : 1);
            }
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>One sendmmsg of <paramref name="count"/> messages, repeated while a signal interrupts it.</summary>
    private int SendAll(MMsgHdr* headers, int count)
    {
        int sent;
        do
        {
            sent = SendMMsg(_fd, headers, (uint)count, SendFlags);
        }
        while (Interrupted(sent));

        return sent;
    }

    /// <summary>
    /// After a failed send whose first message carried UDP_SEGMENT: when the kernel (or the route: a segment over the
    /// path MTU) refuses segmentation, plain sends from now on.
    /// </summary>
    private void StopSegmentingIfRefused(MMsgHdr* first, int errno)
    {
        if (first->Header.ControlLength != 0 && errno is EINVAL or EIO or EOPNOTSUPP or ENOPROTOOPT)
        {
            _segmentation = false;
        }
    }

    private static bool Interrupted(nint result) => result < 0 && Marshal.GetLastPInvokeError() == EINTR;

    /// <summary>A syscall's count, or its errno classified when it returned -1.</summary>
    private static IoResult Outcome(int result)
    {
        if (result >= 0)
        {
            return IoResult.Done(result);
        }

        var errno = Marshal.GetLastPInvokeError();
        return new IoResult(0, Classify(errno), errno);
    }

    private static IoResult Closed => new(0, IoError.Closed, EBADF);

    internal static IoError Classify(int errno) => errno switch
    {
        EAGAIN => IoError.WouldBlock,
        ENOBUFS => IoError.NoBuffers,
        ECONNREFUSED or EHOSTUNREACH or ENETUNREACH or EHOSTDOWN or ENETDOWN => IoError.PeerUnreachable,
        EMSGSIZE => IoError.TooLarge,
        EBADF or ENOTSOCK => IoError.Closed,
        _ => IoError.Unexpected,
    };

    private bool TryAcquire()
    {
        if (handle.IsClosed)
        {
            return false;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            // Closed between the check and the reference: treated as closed.
        }

        return added;
    }
}
