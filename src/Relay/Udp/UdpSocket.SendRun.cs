using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Udp;

public sealed partial class UdpSocket
{
    /// <summary>
    /// Queues every datagram of <paramref name="datagrams"/> for one destination, exactly as <see cref="QueueSendTo"/>
    /// would one by one (the same slots and packing, a full queue flushed or the datagram dropped the same way, the same
    /// counters), reading the source to its end. The destination is checked and compared once: while datagrams of one
    /// size follow each other they join the packed slot the run opened without comparing addresses again. Loop thread
    /// only (see the type's threading contract).
    /// </summary>
    /// <returns>How many datagrams were queued or sent: those <see cref="QueueSendTo"/> would have answered <see cref="UdpStatus.Ok"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is empty (a programming error).</exception>
    public int QueueSendRunTo<TSource>(ref TSource datagrams, scoped in UdpAddress destination)
        where TSource : IUdpDatagramSource, allows ref struct
    {
        ThrowIfEmpty(destination);
        var ok = 0;

        // The slot this run may extend (-1: none), with what it holds: datagrams of `size` bytes, `count` of them, `bytes` in all.
        var open = -1;
        int size = 0, count = 0, bytes = 0, limit = 0;
        MessageBuffer? queue = null;
        while (datagrams.TryNext(out var payload))
        {
            if (open >= 0 && payload.Length == size && count < SegmentedSendPlan.MaxSegments && bytes + size <= limit && !IsDisposed)
            {
                // What TryPack would check for the last slot, proved by the run: same size, room left, same destination.
                queue!.Extend(open, payload);
                count++;
                bytes += size;
                ok++;
                continue;
            }

            if (Queue(payload, destination, out open) == UdpStatus.Ok)
            {
                ok++;
            }

            if (open >= 0)
            {
                queue = _sendQueue!;
                size = queue.SegmentSize(open);
                count = queue.Datagrams(open);
                bytes = queue.OutgoingLength(open);
                limit = Math.Min(queue.SlotSize, SegmentedSendPlan.MaxGroupBytes);
            }
        }

        return ok;
    }
}
