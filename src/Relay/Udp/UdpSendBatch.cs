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
public sealed class UdpSendBatch(int capacity = UdpSendBatch.DefaultCapacity, int slotBytes = DatagramBatch.DefaultSlotSize)
{
    /// <summary>Default <see cref="Capacity"/>: 32 datagrams.</summary>
    public const int DefaultCapacity = 32;

    private MessageBuffer? _buffer;

    /// <summary>Datagrams the batch holds at most.</summary>
    public int Capacity { get; } = CheckCapacity(capacity);

    /// <summary>Largest datagram a slot holds, in bytes.</summary>
    public int SlotBytes { get; } = CheckSlotBytes(slotBytes);

    /// <summary>Datagrams waiting to be sent.</summary>
    public int Count { get; private set; }

    /// <summary>True when nothing waits.</summary>
    public bool IsEmpty => Count == 0;

    internal MessageBuffer Buffer => _buffer!;

    /// <summary>
    /// Copies <paramref name="payload"/> into the next slot, for the socket's connected peer. False when the batch is
    /// full (send it first) or the datagram is longer than <see cref="SlotBytes"/> (send it alone).
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> payload) => TryAdd(payload, default);

    /// <summary>As <see cref="TryAdd(ReadOnlySpan{byte})"/>, to <paramref name="destination"/> (empty: the connected peer).</summary>
    public bool TryAdd(ReadOnlySpan<byte> payload, in UdpAddress destination)
    {
        if (Count == Capacity || payload.Length > SlotBytes)
        {
            return false;
        }

        var buffer = _buffer ??= new MessageBuffer(Capacity, SlotBytes);
        buffer.SetOutgoing(Count++, payload, destination);
        return true;
    }

    /// <summary>Forgets every waiting datagram.</summary>
    public void Clear() => Count = 0;

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
