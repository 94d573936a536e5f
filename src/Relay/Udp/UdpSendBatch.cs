using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// Datagrams collected by one thread and handed to the kernel in one sendmmsg with
/// <see cref="UdpSocket.SendBatch(UdpSendBatch, out long)"/>: the any-thread counterpart of a socket's own send queue
/// (which belongs to its loop thread). For a thread that forwards many datagrams at once off the loop, such as a TCP
/// stream's receive task, so a read of many frames costs one syscall instead of one per frame.
/// </summary>
/// <remarks>
/// Threading: one thread at a time fills and sends a batch. Memory: <c>capacity × slotBytes</c> bytes, pinned, allocated
/// on the first <see cref="TryAdd(ReadOnlySpan{byte})"/>; nothing allocates afterwards.
/// </remarks>
/// <param name="capacity">Datagrams per batch, 1 to 1024. Default 32.</param>
/// <param name="slotBytes">Largest datagram a slot holds, 1 to 65507 bytes; longer ones are refused by
/// <see cref="TryAdd(ReadOnlySpan{byte})"/> (send them alone). Default 2048 (a 1042-byte boot packet fits).</param>
/// <param name="packRuns">
/// Put a datagram of the same size for the same destination as the last one into the same slot, so a run leaves as one
/// UDP GSO packet the kernel cuts back into the same datagrams (as a socket's own queue does). For a socket that
/// segments its sends (Linux, offloads on); any other socket sends a packed slot datagram by datagram.
/// </param>
public sealed class UdpSendBatch(int capacity = UdpSendBatch.DefaultCapacity, int slotBytes = DatagramBatch.DefaultSlotSize, bool packRuns = false)
{
    /// <summary>Default <see cref="Capacity"/>: 32 datagrams.</summary>
    public const int DefaultCapacity = 32;

    private MessageBuffer? _buffer;

    /// <summary>Datagrams the batch holds at most.</summary>
    public int Capacity { get; } = CheckCapacity(capacity);

    /// <summary>Largest datagram a slot holds, in bytes.</summary>
    public int SlotBytes { get; } = CheckSlotBytes(slotBytes);

    /// <summary>Whether runs of same-sized datagrams for one destination share a slot (see the constructor).</summary>
    public bool PacksRuns { get; } = packRuns;

    /// <summary>Slots in use (a packed slot holds a run of datagrams).</summary>
    public int Count { get; private set; }

    /// <summary>True when nothing waits.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>True when some slot holds more than one datagram.</summary>
    internal bool HasPackedRuns { get; private set; }

    internal MessageBuffer Buffer => _buffer!;

    /// <summary>
    /// Copies <paramref name="payload"/> into the next slot, for the socket's connected peer. False when the batch is
    /// full (send it first) or the datagram is longer than <see cref="SlotBytes"/> (send it alone).
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> payload) => TryAdd(payload, default);

    /// <summary>As <see cref="TryAdd(ReadOnlySpan{byte})"/>, to <paramref name="destination"/> (empty: the connected peer).</summary>
    public bool TryAdd(ReadOnlySpan<byte> payload, in UdpAddress destination)
    {
        if (PacksRuns && Count != 0 && _buffer!.TryPack(Count - 1, payload, destination))
        {
            HasPackedRuns = true;
            return true;
        }

        if (Count == Capacity || payload.Length > SlotBytes)
        {
            return false;
        }

        var buffer = _buffer ??= new MessageBuffer(Capacity, SlotBytes);
        buffer.SetOutgoing(Count++, payload, destination);
        return true;
    }

    /// <summary>Forgets every waiting datagram.</summary>
    public void Clear()
    {
        Count = 0;
        HasPackedRuns = false;
    }

    private static int CheckCapacity(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MessageBuffer.MaxCapacity);
        return capacity;
    }

    private static int CheckSlotBytes(int slotBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotBytes, MessageBuffer.MaxSlotSize);
        return slotBytes;
    }
}
