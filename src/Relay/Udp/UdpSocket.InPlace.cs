namespace FastSpinnRelay.Relay.Udp;

public sealed partial class UdpSocket
{
    /// <summary>
    /// Sends every datagram of <paramref name="batch"/> to the connected peer now, from where its bytes lie (one sendmmsg
    /// per 64 messages; runs of same-sized datagrams as UDP GSO groups while this socket segments its sends), and
    /// empties it. Any thread: the batch carries the state. Per-datagram failures drop that datagram (counted) and the
    /// rest still go; when the send buffer is full the rest are dropped and counted in SendDrops, as
    /// <see cref="SendBatch"/> does.
    /// </summary>
    /// <param name="batch">The datagrams, in order; empty on return.</param>
    /// <param name="bytes">Payload bytes the kernel took.</param>
    /// <returns>How many datagrams the kernel took.</returns>
    public int SendInPlace(UdpInPlaceBatch batch, out long bytes)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return SendFromPlace(batch, queueRest: false, out bytes);
    }

    /// <summary>
    /// As <see cref="SendInPlace"/>, from the loop thread, keeping the order of this socket's send queue: what is queued
    /// goes first (when the kernel will not take all of it, the batch's datagrams are copied into the queue behind it),
    /// and what the kernel does not take at once because its buffer is full is copied into the queue (sent when the
    /// socket is writable, or dropped and counted when the queue is full). Loop thread only, like <see cref="QueueSend"/>.
    /// </summary>
    /// <param name="batch">The datagrams, in order; empty on return.</param>
    /// <param name="bytes">Payload bytes sent or queued.</param>
    /// <returns>How many datagrams were sent or queued.</returns>
    public int QueueSendInPlace(UdpInPlaceBatch batch, out long bytes)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_sendHead != _sendCount && FlushSends() != UdpStatus.Ok)
        {
            return QueueAll(batch, 0, out bytes);
        }

        return SendFromPlace(batch, queueRest: true, out bytes);
    }

    private int SendFromPlace(UdpInPlaceBatch batch, bool queueRest, out long bytes)
    {
        bytes = 0;
        var count = batch.Count;
        if (count == 0 || IsDisposed)
        {
            batch.Clear();
            return 0;
        }

        if (!_io.IsNative)
        {
            var one = 0;
            for (var i = 0; i < count; i++)
            {
                var datagram = batch.Datagram(i);
                if (SendNow(datagram, default) == UdpStatus.Ok)
                {
                    one++;
                    bytes += datagram.Length;
                }
            }

            batch.Clear();
            return one;
        }

        var datagrams = new InPlaceDatagrams(batch);
        var status = SendAllMessages(ref datagrams, out var sent, out var sentBytes);
        var accepted = 0;
        long acceptedBytes = 0;
        if (status == UdpStatus.WouldBlock)
        {
            if (queueRest)
            {
                accepted = QueueAll(batch, datagrams.Next, out acceptedBytes);
            }
            else
            {
                Interlocked.Add(ref _sendDrops, count - datagrams.Next);
            }
        }

        batch.Clear();
        bytes = sentBytes + acceptedBytes;
        return sent + accepted;
    }

    /// <summary>Copies datagrams <paramref name="from"/>.. of <paramref name="batch"/> into the send queue, in order; empties the batch.</summary>
    private int QueueAll(UdpInPlaceBatch batch, int from, out long bytes)
    {
        bytes = 0;
        var queued = 0;
        for (var i = from; i < batch.Count; i++)
        {
            var datagram = batch.Datagram(i);
            if (Queue(datagram, default) == UdpStatus.Ok)
            {
                queued++;
                bytes += datagram.Length;
            }
        }

        batch.Clear();
        return queued;
    }
}
