using System.Diagnostics;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>A flow that can pass a datagram from the target back towards its peer (a UDP send, or a TCP frame).</summary>
internal interface IPeerReturn
{
    /// <summary>Queues one datagram for the peer; false when it was dropped (the socket or outbox counts it).</summary>
    bool TryReturn(ReadOnlySpan<byte> datagram);
}

/// <summary>What the target sends to a flow's own UDP socket, on the loop thread: back to the flow's peer, counted once per batch.</summary>
internal static class ReturnPath
{
    public static void Forward<TFlow>(TFlow flow, DatagramBatch batch, RouteCounterSet counters)
        where TFlow : PeerFlow, IPeerReturn
    {
        long packets = 0, bytes = 0, malformed = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch.IsTruncated(i))
            {
                malformed++;
                continue;
            }

            var payload = batch.GetPayload(i);
            if (flow.TryReturn(payload))
            {
                packets++;
                bytes += payload.Length;
            }
        }

        flow.LastActive = Stopwatch.GetTimestamp();
        flow.AddDown(packets);
        counters.AddDown(packets, bytes);
        counters.AddMalformed(malformed);
    }
}
