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
        var open = -1; // the slot this run may extend: the destination is the run's, so no address is compared again
        while (datagrams.TryNext(out var payload))
        {
            if (open >= 0 && !IsDisposed && _sendQueue!.TryPackForSameDestination(open, payload))
            {
                ok++;
                continue;
            }

            if (Queue(payload, destination, out open) == UdpStatus.Ok)
            {
                ok++;
            }
        }

        return ok;
    }
}
