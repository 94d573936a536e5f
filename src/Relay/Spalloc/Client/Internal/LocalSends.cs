using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Spalloc.Client.Internal;

/// <summary>
/// Board datagrams that the websocket's receive thread hands to local sockets (visualisers, applications), gathered
/// per socket and sent with one sendmmsg (<see cref="UdpSocket.SendBatch"/>) instead of one sendto each. Runs of one
/// size for one destination (live output) are packed into UDP GSO packets where the socket segments. The receive loop
/// calls <see cref="Flush"/> whenever no further frame is already received, so a lone datagram leaves at once.
/// </summary>
/// <remarks>
/// Order is kept per socket (and across sockets: switching socket sends what was gathered first). A full kernel send
/// buffer drops the rest of a batch and counts it in the socket's SendDrops, as <see cref="UdpSocket.SendTo"/> drops
/// one datagram: nothing waits for a slow local reader, so other channels never stall behind it. One thread at a time
/// (the receive loop). Allocation-free after the first datagram (the batch's pinned slots).
/// </remarks>
internal sealed class LocalSends
{
    /// <summary>Datagrams (slots; a packed slot holds a run) gathered before a send is forced.</summary>
    public const int Capacity = 64;

    private readonly UdpSendBatch _batch = new(Capacity, DatagramBatch.DefaultSlotSize, packRuns: true);
    private UdpSocket? _socket;

    /// <summary>Datagrams sent now because they were longer than a slot (rare: nothing a board sends is).</summary>
    public long SentAlone { get; private set; }

    /// <summary>Gathers <paramref name="payload"/> for <paramref name="destination"/> through <paramref name="socket"/> (copied).</summary>
    public void Add(UdpSocket socket, ReadOnlySpan<byte> payload, in UdpAddress destination)
    {
        if (!ReferenceEquals(socket, _socket))
        {
            Flush();
            _socket = socket;
        }

        if (_batch.TryAdd(payload, destination))
        {
            return;
        }

        Flush();
        _socket = socket;
        if (!_batch.TryAdd(payload, destination))
        {
            SentAlone++;
            socket.SendTo(payload, destination);
        }
    }

    /// <summary>Hands everything gathered to the kernel (one sendmmsg per socket).</summary>
    public void Flush()
    {
        if (_socket is { } socket && !_batch.IsEmpty)
        {
            socket.SendBatch(_batch, out _);
        }

        _socket = null;
    }
}
