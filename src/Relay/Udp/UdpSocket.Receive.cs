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

        if (_coalescing)
        {
            return ReceiveCoalesced(batch, batch.Coalesced);
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

    /// <summary>Deals out what the last coalesced read left, or reads again (one recvmmsg) when nothing is left.</summary>
    private UdpStatus ReceiveCoalesced(DatagramBatch batch, CoalescedReceive coalesced)
    {
        if (!coalesced.HasPending || coalesced.Owner != this)
        {
            var previous = coalesced.HasPending ? coalesced.Owner : null;
            var result = coalesced.Read(_io, this, out var discarded);
            if (previous is not null && discarded != 0)
            {
                // The previous socket's datagrams were still waiting in this batch (its caller ignored
                // HasPendingReceive): they are lost, and counted as that socket's receive errors.
                Interlocked.Add(ref previous._receiveErrors, discarded);
            }

            if (result.Count == 0)
            {
                return result.Error == IoError.None ? UdpStatus.WouldBlock : AccountReceiveError(result);
            }
        }

        var count = coalesced.DealViews(batch.Views, batch.Capacity, batch.SlotSize, out var bytes, out var truncated);
        Volatile.Write(ref _datagramsIn, _datagramsIn + count);
        Volatile.Write(ref _bytesIn, _bytesIn + bytes);
        if (truncated != 0)
        {
            Volatile.Write(ref _truncated, _truncated + truncated);
        }

        batch.SetViews(count);
        return count > 0 ? UdpStatus.Ok : UdpStatus.WouldBlock;
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
