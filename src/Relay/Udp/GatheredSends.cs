namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// Datagrams that a stream's receive loop (off the UDP loop) hands to UDP sockets, gathered and sent with one sendmmsg
/// (<see cref="UdpSocket.SendBatch"/>) instead of one syscall each: in <c>relay spalloc connect</c> board datagrams
/// for visualisers and applications, in <c>relay spalloc serve</c> client datagrams for the boards, in
/// <c>relay tunnel serve</c> a tunnel read's datagrams for a board, in <c>relay tunnel connect</c> its replies for an
/// application. Runs of one size for one destination are packed into UDP GSO packets where the socket segments. The
/// receive loop calls <see cref="Flush"/> whenever no further frame is already received, so a lone datagram leaves at
/// once.
/// </summary>
/// <remarks>
/// Order is kept: switching socket sends what was gathered for the previous one first. A full kernel send buffer drops
/// the rest of a batch and counts it in the socket's SendDrops, as <see cref="UdpSocket.SendTo"/> drops one datagram:
/// nothing waits for a slow reader, so other channels never stall behind it. One thread at a time (the receive loop;
/// <see cref="UdpSocket.SendBatch"/> may be called off the socket's loop). Allocation-free after the first datagram
/// (the batch's pinned slots).
/// </remarks>
internal sealed class GatheredSends
{
    /// <summary>Default slots (a packed slot holds a run) gathered before a send is forced.</summary>
    public const int DefaultCapacity = 64;

    private readonly UdpSendBatch _batch;
    private UdpSocket? _socket;
    private int _gathered;
    private long _sent;
    private long _sentBytes;
    private long _failed;

    /// <param name="capacity">Slots gathered before a send is forced (pinned on the first datagram: capacity × slotBytes).</param>
    /// <param name="slotBytes">Longest datagram gathered; a longer one is sent alone, after what was gathered.</param>
    public GatheredSends(int capacity = DefaultCapacity, int slotBytes = DatagramBatch.DefaultSlotSize) =>
        _batch = new UdpSendBatch(capacity, slotBytes, packRuns: true);

    /// <summary>Datagrams the kernel took, all flushes so far (read from any thread).</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Payload bytes of <see cref="Sent"/>.</summary>
    public long SentBytes => Volatile.Read(ref _sentBytes);

    /// <summary>Datagrams not sent (full send buffer, an ICMP error, a closed socket), all flushes so far.</summary>
    public long Failed => Volatile.Read(ref _failed);

    /// <summary>Datagrams sent at once because they were longer than a slot (rare: nothing a board sends is).</summary>
    public long SentAlone { get; private set; }

    /// <summary>
    /// Gathers <paramref name="payload"/> (copied) for <paramref name="destination"/> through <paramref name="socket"/>;
    /// an empty destination means the socket's connected peer.
    /// </summary>
    public void Add(UdpSocket socket, ReadOnlySpan<byte> payload, in UdpAddress destination)
    {
        if (!ReferenceEquals(socket, _socket))
        {
            Flush();
            _socket = socket;
        }

        if (_batch.TryAdd(payload, destination))
        {
            _gathered++;
            return;
        }

        Flush();
        _socket = socket;
        if (_batch.TryAdd(payload, destination))
        {
            _gathered++;
            return;
        }

        SentAlone++;
        var status = destination.IsEmpty ? socket.Send(payload) : socket.SendTo(payload, destination);
        Count(status == UdpStatus.Ok ? 1 : 0, status == UdpStatus.Ok ? payload.Length : 0, 1);
    }

    /// <summary>Hands everything gathered to the kernel (one sendmmsg, repeated only if the kernel takes part of it).</summary>
    public void Flush()
    {
        if (_socket is { } socket && _gathered > 0)
        {
            var sent = socket.SendBatch(_batch, out var bytes);
            Count(sent, bytes, _gathered);
        }

        _gathered = 0;
        _socket = null;
    }

    // One writer (the receive loop): plain stores, published for readers on other threads.
    private void Count(int sent, long bytes, int attempted)
    {
        Volatile.Write(ref _sent, _sent + sent);
        Volatile.Write(ref _sentBytes, _sentBytes + bytes);
        Volatile.Write(ref _failed, _failed + attempted - sent);
    }
}
