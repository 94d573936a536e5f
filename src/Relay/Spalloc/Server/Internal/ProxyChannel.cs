using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// One channel of a proxy websocket: a UDP socket on the server's event loop, either connected to one board port
/// (OPEN) or bound to a local port that any board of the job may send to (OPEN_UNBOUND). Datagrams it receives become
/// MSG frames in the websocket's send queue, on the loop thread, and the sender is woken once per batch.
/// </summary>
internal sealed class ProxyChannel : IUdpReceiver
{
    private readonly ProxySession _session;
    private readonly SpallocProxyCounters _counters;

    public ProxyChannel(uint id, ProxySession session, UdpSocket socket, bool unbound, SpallocProxyCounters counters)
    {
        Id = id;
        _session = session;
        Socket = socket;
        IsUnbound = unbound;
        _counters = counters;
    }

    public uint Id { get; }

    public UdpSocket Socket { get; }

    /// <summary>True for OPEN_UNBOUND channels (MSG_TO only; any board of the job may send to it).</summary>
    public bool IsUnbound { get; }

    /// <summary>Loop thread: wraps each datagram as MSG. Strangers (unbound only) and truncated datagrams are counted and dropped.</summary>
    public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
    {
        var queue = _session.Queue;
        var allocation = _session.Allocation;
        long queued = 0, strangers = 0, truncated = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch.IsTruncated(i))
            {
                truncated++;
                continue;
            }

            if (IsUnbound && !allocation.IsBoardHost(batch.GetSource(i)))
            {
                strangers++;
                continue;
            }

            var payload = batch.GetPayload(i);
            if (queue.TryAppendMessage(Id, payload, droppable: !LooksLikeSdp(payload)) == QueueResult.Queued)
            {
                queued++;
            }
        }

        if (queued > 0)
        {
            _counters.FromBoards(queued);
            _session.WakeSenderAfterReceive(queued);
        }

        if (strangers > 0)
        {
            _counters.Strangers(strangers);
        }

        if (truncated > 0)
        {
            _counters.Truncated(truncated);
        }
    }

    /// <summary>
    /// SDP over UDP (SCP replies, unstripped tag output) starts with the two zero pad bytes and has a 10-byte header;
    /// stripped live output is EIEIO, whose first byte is its element count (never 0 in a useful packet) or a
    /// command header. SDP is kept under pressure, the rest may be dropped.
    /// </summary>
    internal static bool LooksLikeSdp(ReadOnlySpan<byte> payload) =>
        payload.Length >= Protocol.Sdp.SdpConstants.UdpHeaderLength && payload[0] == 0 && payload[1] == 0;
}
