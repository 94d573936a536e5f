using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Udp;

public sealed partial class UdpSocket
{
    // Sends may come from several threads (SendTo is any-thread), so these are updated with Interlocked.
    private long _datagramsOut;
    private long _bytesOut;
    private long _sendDrops;
    private long _sendErrors;
    private long _icmpErrors;

    // The send queue: headers [_sendHead, _sendCount) wait for sendmmsg. Loop thread only.
    private MessageBuffer? _sendQueue;
    private int _sendHead;
    private int _sendCount;

    /// <summary>Datagrams queued and not yet handed to the kernel.</summary>
    public int QueuedSendCount => _sendQueue is { } queue ? DatagramsIn(queue, _sendHead, _sendCount) : 0;

    /// <summary>
    /// Sends one datagram now (one syscall, never blocks). Any thread. Use <see cref="QueueSendTo"/> on the
    /// loop thread to batch instead.
    /// </summary>
    /// <returns>
    /// <see cref="UdpStatus.Ok"/>; <see cref="UdpStatus.WouldBlock"/> when the send buffer was full and the
    /// datagram was dropped (counted in SendDrops); <see cref="UdpStatus.PeerUnreachable"/> when an ICMP error
    /// interfered twice (the first is retried); <see cref="UdpStatus.MessageTooLarge"/>; <see cref="UdpStatus.Closed"/>;
    /// <see cref="UdpStatus.Failed"/> (counted, reported).
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is empty (a programming error).</exception>
    public UdpStatus SendTo(ReadOnlySpan<byte> payload, in UdpAddress destination)
    {
        ThrowIfEmpty(destination);
        return SendNow(payload, destination);
    }

    /// <summary>Sends one datagram now to the connected peer; see <see cref="SendTo"/>.</summary>
    public UdpStatus Send(ReadOnlySpan<byte> payload) => SendNow(payload, default);

    /// <summary>
    /// Copies a datagram into the next send slot; it leaves with the next flush (one sendmmsg for the whole
    /// queue). The loop flushes registered sockets after every iteration, and this flushes by itself when the
    /// slots are full. Loop thread only (see the type's threading contract).
    /// </summary>
    /// <returns>
    /// <see cref="UdpStatus.Ok"/> when queued (or, for a payload larger than a slot, sent at once after a
    /// flush); <see cref="UdpStatus.WouldBlock"/> when the slots are full and the kernel would take none of
    /// them, so this datagram was dropped (counted in SendDrops); <see cref="UdpStatus.Closed"/>.
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is empty (a programming error).</exception>
    public UdpStatus QueueSendTo(ReadOnlySpan<byte> payload, in UdpAddress destination)
    {
        ThrowIfEmpty(destination);
        return Queue(payload, destination);
    }

    /// <summary>Queues a datagram for the connected peer; see <see cref="QueueSendTo"/>.</summary>
    public UdpStatus QueueSend(ReadOnlySpan<byte> payload) => Queue(payload, default);

    /// <summary>
    /// Hands every queued datagram to the kernel (sendmmsg, repeated until done or the buffer is full).
    /// Per-datagram failures drop that datagram (counted) and the rest still go. Loop thread only.
    /// </summary>
    /// <returns>
    /// <see cref="UdpStatus.Ok"/> when the queue is empty; <see cref="UdpStatus.WouldBlock"/> when the send
    /// buffer filled and datagrams remain queued (the loop retries when the socket is writable);
    /// <see cref="UdpStatus.Closed"/> (the queue is discarded).
    /// </returns>
    public UdpStatus FlushSends()
    {
        if (_sendHead == _sendCount)
        {
            return UdpStatus.Ok;
        }

        var status = SendRange(_sendQueue!, ref _sendHead, _sendCount, out _, out _);
        if (status == UdpStatus.Closed)
        {
            _sendHead = _sendCount;
        }

        CompactQueue();
        return status;
    }

    /// <summary>
    /// Sends every datagram of <paramref name="batch"/> now (sendmmsg, repeated until done; a packed slot as one UDP GSO
    /// packet) and empties it. Any thread:
    /// the batch, not the socket, carries the state. Per-datagram failures drop that datagram (counted) and the rest
    /// still go; when the send buffer is full the rest are dropped and counted in SendDrops, as <see cref="Send"/> does.
    /// </summary>
    /// <param name="batch">The datagrams, in order; empty on return.</param>
    /// <param name="bytes">Payload bytes the kernel took.</param>
    /// <returns>How many datagrams the kernel took.</returns>
    public int SendBatch(UdpSendBatch batch, out long bytes)
    {
        ArgumentNullException.ThrowIfNull(batch);
        bytes = 0;
        var count = batch.Count;
        if (count == 0)
        {
            return 0;
        }

        var packed = batch.HasPackedRuns;
        batch.Clear();
        if (IsDisposed)
        {
            return 0;
        }

        if (packed && !SendsSegmented)
        {
            // Runs were packed for a socket that does not (or no longer does) segment: one datagram per syscall.
            var one = 0;
            for (var i = 0; i < count; i++)
            {
                SendUnpacked(batch.Buffer, i, ref one, ref bytes);
            }

            AccountSent(one, bytes);
            return one;
        }

        var head = 0;
        var status = SendRange(batch.Buffer, ref head, count, out var sent, out bytes);
        if (status == UdpStatus.WouldBlock)
        {
            Interlocked.Add(ref _sendDrops, DatagramsIn(batch.Buffer, head, count));
        }

        return sent;
    }

    /// <summary>
    /// Hands slots [<paramref name="head"/>, <paramref name="end"/>) of <paramref name="queue"/> to the kernel
    /// (<see cref="SendAllMessages"/>); <paramref name="head"/> moves past every slot sent or dropped for an error.
    /// </summary>
    private UdpStatus SendRange(MessageBuffer queue, ref int head, int end, out int sent, out long bytes)
    {
        var slots = new QueuedSlots(queue, head, end);
        var status = SendAllMessages(ref slots, out sent, out bytes);
        head = slots.Head;
        return status;
    }

    /// <summary>Sends the datagrams packed in slot <paramref name="index"/> one at a time (the rare path after a packed send failed).</summary>
    private void SendUnpacked(MessageBuffer queue, int index, ref int sent, ref long bytes)
    {
        var destination = queue.Destination(index);
        var size = queue.SegmentSize(index);
        var payload = queue.OutgoingPayload(index);
        for (var offset = 0; offset < payload.Length; offset += size)
        {
            SendSingle(payload.Slice(offset, Math.Min(size, payload.Length - offset)), destination, ref sent, ref bytes);
        }

        queue.KeepAlive();
    }

    /// <summary>Datagrams held in slots [<paramref name="from"/>, <paramref name="to"/>) of <paramref name="queue"/>.</summary>
    private static int DatagramsIn(MessageBuffer queue, int from, int to)
    {
        var total = 0;
        for (var i = from; i < to; i++)
        {
            total += queue.Datagrams(i);
        }

        return total;
    }

    private UdpStatus Queue(ReadOnlySpan<byte> payload, in UdpAddress destination) => Queue(payload, destination, out _);

    /// <summary>
    /// Queues one datagram; <paramref name="packable"/> is the slot it went into when later datagrams of its size for
    /// its destination may join that slot (the last slot, segmenting, a packable size), else -1.
    /// </summary>
    private UdpStatus Queue(ReadOnlySpan<byte> payload, in UdpAddress destination, out int packable)
    {
        packable = -1;
        if (IsDisposed)
        {
            return UdpStatus.Closed;
        }

        if (payload.Length > _options.SendSlotBytes)
        {
            FlushSends();
            return SendNow(payload, destination);
        }

        var queue = _sendQueue ??= new MessageBuffer(_options.SendSlots, _options.SendSlotBytes);
        var segmented = SendsSegmented;
        if (_sendCount > _sendHead && segmented && queue.TryPack(_sendCount - 1, payload, destination))
        {
            // One more datagram of the run in the last slot: it leaves with that slot, as its own datagram.
            packable = _sendCount - 1;
            ScheduleFlushIfNeeded();
            return UdpStatus.Ok;
        }

        if (_sendCount == queue.Capacity)
        {
            FlushSends();
            if (_sendCount == queue.Capacity)
            {
                Interlocked.Increment(ref _sendDrops);
                return UdpStatus.WouldBlock;
            }
        }

        queue.SetOutgoing(_sendCount++, payload, destination);
        if (segmented && payload.Length <= SegmentedSendPlan.MaxSegmentBytes)
        {
            packable = _sendCount - 1;
        }

        ScheduleFlushIfNeeded();
        return UdpStatus.Ok;
    }

    private void ScheduleFlushIfNeeded()
    {
        if (!PendingFlush && Owner is { } loop)
        {
            loop.ScheduleFlush(this);
        }
    }

    private UdpStatus SendNow(ReadOnlySpan<byte> payload, in UdpAddress destination)
    {
        if (IsDisposed)
        {
            return UdpStatus.Closed;
        }

        var result = _io.SendOne(payload, destination);
        if (result.Error == IoError.PeerUnreachable)
        {
            Interlocked.Increment(ref _icmpErrors);
            result = _io.SendOne(payload, destination);
        }

        if (result.Count == 1)
        {
            AccountSent(1, payload.Length);
            return UdpStatus.Ok;
        }

        return AccountSendFailure(result);
    }

    /// <summary>Counts one datagram that will not be sent and says why.</summary>
    private UdpStatus AccountSendFailure(IoResult result)
    {
        switch (result.Error)
        {
            case IoError.WouldBlock or IoError.NoBuffers:
                Interlocked.Increment(ref _sendDrops);
                return UdpStatus.WouldBlock;
            case IoError.PeerUnreachable:
                Interlocked.Increment(ref _icmpErrors);
                Interlocked.Increment(ref _sendErrors);
                return UdpStatus.PeerUnreachable;
            case IoError.TooLarge:
                Interlocked.Increment(ref _sendErrors);
                return UdpStatus.MessageTooLarge;
            case IoError.Closed:
                return UdpStatus.Closed;
            default:
                Interlocked.Increment(ref _sendErrors);
                ReportError(UdpOperation.Send, result.Code);
                return UdpStatus.Failed;
        }
    }

    private void AccountSent(long datagrams, long bytes)
    {
        if (datagrams != 0)
        {
            Interlocked.Add(ref _datagramsOut, datagrams);
            Interlocked.Add(ref _bytesOut, bytes);
        }
    }

    /// <summary>Moves what is still queued to the front of the slots (pointer swaps only).</summary>
    private void CompactQueue()
    {
        if (_sendHead == _sendCount)
        {
            _sendHead = _sendCount = 0;
            return;
        }

        var remaining = _sendCount - _sendHead;
        for (var i = 0; i < remaining; i++)
        {
            _sendQueue!.SwapSlots(i, _sendHead + i);
        }

        _sendHead = 0;
        _sendCount = remaining;
    }

    private static void ThrowIfEmpty(in UdpAddress destination)
    {
        if (destination.IsEmpty)
        {
            throw new ArgumentException("The destination address is empty.", nameof(destination));
        }
    }
}
