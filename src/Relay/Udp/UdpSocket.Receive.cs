using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Udp;

public sealed partial class UdpSocket
{
    // Written only by the receiving thread (one at a time); read by anyone with Volatile.Read.
    private long _datagramsIn;
    private long _bytesIn;
    private long _receiveErrors;
    private long _truncated;

    /// <summary>
    /// Reads up to <see cref="DatagramBatch.Capacity"/> waiting datagrams into <paramref name="batch"/> without
    /// blocking (one recvmmsg on Linux). <see cref="DatagramBatch.Count"/> says how many arrived.
    /// </summary>
    /// <returns>
    /// <see cref="UdpStatus.Ok"/> with at least one datagram; <see cref="UdpStatus.WouldBlock"/> when none was
    /// waiting; <see cref="UdpStatus.PeerUnreachable"/> when a pending ICMP error was collected instead (counted;
    /// read again for data); <see cref="UdpStatus.Closed"/>; or <see cref="UdpStatus.Failed"/> (counted, reported).
    /// </returns>
    public UdpStatus Receive(DatagramBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var buffer = batch.Buffer;
        batch.SetCount(0);
        if (IsDisposed)
        {
            return UdpStatus.Closed;
        }

        var result = _io.Receive(buffer);
        if (result.Count > 0)
        {
            long bytes = 0;
            var truncated = 0;
            for (var i = 0; i < result.Count; i++)
            {
                ref var header = ref buffer.Header(i);
                bytes += header.Length;
                truncated += (header.Header.Flags & LinuxInterop.MSG_TRUNC) != 0 ? 1 : 0;
            }

            Volatile.Write(ref _datagramsIn, _datagramsIn + result.Count);
            Volatile.Write(ref _bytesIn, _bytesIn + bytes);
            if (truncated != 0)
            {
                Volatile.Write(ref _truncated, _truncated + truncated);
            }

            batch.SetCount(result.Count);
        }

        var status = result.Error == IoError.None ? UdpStatus.WouldBlock : AccountReceiveError(result);
        return result.Count > 0 ? UdpStatus.Ok : status;
    }

    private UdpStatus AccountReceiveError(IoResult result)
    {
        switch (result.Error)
        {
            case IoError.WouldBlock:
                return UdpStatus.WouldBlock;
            case IoError.PeerUnreachable:
                Interlocked.Increment(ref _icmpErrors);
                return UdpStatus.PeerUnreachable;
            case IoError.Closed:
                return UdpStatus.Closed;
            default:
                Volatile.Write(ref _receiveErrors, _receiveErrors + 1);
                ReportError(UdpOperation.Receive, result.Code);
                return UdpStatus.Failed;
        }
    }
}
