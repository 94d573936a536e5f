using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// A reusable set of receive slots filled by one <see cref="UdpSocket.Receive"/> call (one recvmmsg on Linux):
/// up to <see cref="Capacity"/> datagrams of up to <see cref="SlotSize"/> bytes each, with their sources.
/// </summary>
/// <remarks>
/// <para>
/// Threading: not thread-safe. One thread fills and reads it; in a <see cref="UdpEventLoop"/> that is the
/// loop thread, and the batch passed to <see cref="IUdpReceiver.OnDatagrams"/> is valid only during that call
/// (the next receive overwrites it). Copy what must outlive the callback, or queue it with
/// <see cref="UdpSocket.QueueSendTo"/> (which copies).
/// </para>
/// <para>
/// A socket that reads coalesced trains (Linux UDP_GRO) fills the batch with views into the train's message rather
/// than copies; the accessors read either kind alike, with the same lifetime.
/// </para>
/// <para>
/// Memory: allocated once (a pinned array, <c>Capacity * (SlotSize + ~130)</c> bytes) and never resized.
/// A datagram longer than <see cref="SlotSize"/> is cut to <see cref="SlotSize"/> and flagged
/// <see cref="IsTruncated"/>; SpiNNaker packets are at most 1042 bytes (boot), so the default 2048 fits all.
/// </para>
/// </remarks>
public sealed class DatagramBatch : IDisposable
{
    /// <summary>Default slot count: 64 (one recvmmsg of 64 amortises the syscall well).</summary>
    public const int DefaultCapacity = 64;

    /// <summary>Default slot size: 2048 bytes (a 1042-byte boot packet fits with room to spare).</summary>
    public const int DefaultSlotSize = 2048;

    private MessageBuffer? _buffer;
    private CoalescedReceive? _coalesced;
    private DatagramView[]? _views;
    private bool _viewing;
    private int _count;

    /// <param name="capacity">Datagrams per batch, 1 to 1024. Default 64.</param>
    /// <param name="slotSize">Bytes per datagram, 1 to 65507. Default 2048.</param>
    public DatagramBatch(int capacity = DefaultCapacity, int slotSize = DefaultSlotSize)
    {
        _buffer = new MessageBuffer(capacity, slotSize);
        Capacity = capacity;
        SlotSize = slotSize;
    }

    public int Capacity { get; }

    /// <summary>Largest datagram kept whole, in bytes.</summary>
    public int SlotSize { get; }

    /// <summary>Datagrams held by the last receive (0 after a receive that got nothing).</summary>
    public int Count => _count;

    /// <summary>The payload of datagram <paramref name="index"/> (0 &lt;= index &lt; <see cref="Count"/>).</summary>
    public unsafe ReadOnlySpan<byte> GetPayload(int index)
    {
        var buffer = Checked(index);
        if (_viewing)
        {
            ref var view = ref _views![index];
            return new ReadOnlySpan<byte>(view.Payload, view.Length);
        }

        return new ReadOnlySpan<byte>(buffer.Payload(index), buffer.Length(index));
    }

    /// <summary>Length in bytes of datagram <paramref name="index"/> as held (at most <see cref="SlotSize"/>).</summary>
    public int GetLength(int index)
    {
        var buffer = Checked(index);
        return _viewing ? _views![index].Length : buffer.Length(index);
    }

    /// <summary>Who sent datagram <paramref name="index"/>.</summary>
    public unsafe ref readonly UdpAddress GetSource(int index)
    {
        var buffer = Checked(index);
        if (_viewing)
        {
            return ref *_views![index].Source;
        }

        return ref buffer.Address(index);
    }

    /// <summary>True when datagram <paramref name="index"/> was longer than <see cref="SlotSize"/> and was cut.</summary>
    public bool IsTruncated(int index)
    {
        var buffer = Checked(index);
        return _viewing ? _views![index].Truncated : (buffer.Header(index).Header.Flags & LinuxInterop.MSG_TRUNC) != 0;
    }

    /// <summary>
    /// True when the last receive came from a coalescing socket (UDP_GRO) and handed out views into the messages the kernel
    /// filled rather than slots: the datagrams of each train there lie end to end, so an in-place send
    /// (<see cref="UdpInPlaceBatch"/>) passes a train as one iovec. False after a plain receive (one slot per datagram).
    /// </summary>
    public bool HoldsTrains => _viewing;

    /// <summary>Releases the slots; later reads throw and receives into it fail.</summary>
    public void Dispose()
    {
        _count = 0;
        _buffer = null;
    }

    internal MessageBuffer Buffer => _buffer ?? throw new ObjectDisposedException(nameof(DatagramBatch));

    /// <summary>The batch now holds <paramref name="count"/> datagrams in its own slots (a plain receive).</summary>
    internal void SetCount(int count)
    {
        _viewing = false;
        _count = count;
    }

    /// <summary>Where a coalesced receive records its datagrams (views into its messages); <see cref="Capacity"/> entries.</summary>
    internal DatagramView[] Views => _views ??= new DatagramView[Capacity];

    /// <summary>The batch now holds the first <paramref name="count"/> of <see cref="Views"/> (a coalesced receive, no copies).</summary>
    internal void SetViews(int count)
    {
        _viewing = count > 0;
        _count = count;
    }

    /// <summary>Where coalescing sockets read into before their datagrams are dealt into this batch; made on first use.</summary>
    internal CoalescedReceive Coalesced => _coalesced ??= new CoalescedReceive(Capacity);

    internal bool HasCoalesced => _coalesced is not null;

    private MessageBuffer Checked(int index)
    {
        if ((uint)index >= (uint)_count)
        {
            ThrowIndex(index);
        }

        return _buffer!;
    }

    private void ThrowIndex(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"The batch holds {_count} datagram(s).");
}
