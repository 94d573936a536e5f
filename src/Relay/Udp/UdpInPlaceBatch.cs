using FastSpinnRelay.Relay.Udp.Internal;
using static FastSpinnRelay.Relay.Udp.Internal.LinuxInterop;

namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// Datagrams that are sent from where they already are: each <see cref="TryAdd"/> records where a datagram's bytes
/// lie (one iovec), nothing is copied, and <see cref="UdpSocket.SendInPlace"/> or
/// <see cref="UdpSocket.QueueSendInPlace"/> hands them to the kernel with one sendmmsg. Runs of same-sized datagrams
/// leave as UDP GSO groups whose iovecs are the datagrams themselves (adjacent ones merged into one iovec), so a
/// forwarder passes a received train on, or a stream's frames out of its receive buffer, without copying them into
/// send slots. For the socket's connected peer only.
/// </summary>
/// <remarks>
/// <para>
/// The bytes must be in pinned memory (a <see cref="DatagramBatch"/>'s slots or views, a pinned array, native memory)
/// and stay unchanged until the send call that takes them returns; a receive batch qualifies during its receiver's
/// call. The batch only holds addresses: after <see cref="Clear"/> or a send it holds nothing.
/// </para>
/// <para>
/// Threading: one thread at a time fills and sends a batch. Memory: about 80 bytes per datagram of
/// <see cref="Capacity"/>, pinned, allocated on the first <see cref="TryAdd"/>; nothing allocates afterwards.
/// </para>
/// </remarks>
/// <param name="capacity">Datagrams held at most, 1 to 1024. Default 1024 (a coalesced read's worth: 16 trains of 64).</param>
public sealed unsafe class UdpInPlaceBatch(int capacity = UdpInPlaceBatch.DefaultCapacity)
{
    /// <summary>Default <see cref="Capacity"/>: 1024 datagrams.</summary>
    public const int DefaultCapacity = 1024;

    /// <summary>Most messages (groups) one sendmmsg carries; a longer batch takes several calls.</summary>
    internal const int MaxMessages = 64;

    private static readonly int ControlSpace = SegmentControlSpace;

    private byte[]? _block;
    private IoVec* _datagrams;
    private IoVec* _iovecs;
    private MMsgHdr* _headers;
    private byte* _controls;
    private int[]? _messageDatagrams;

    /// <summary>Datagrams the batch holds at most.</summary>
    public int Capacity { get; } = CheckCapacity(capacity);

    /// <summary>Datagrams recorded since the last send or <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>True when nothing waits.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>Payload bytes recorded.</summary>
    public long Bytes { get; private set; }

    /// <summary>
    /// Records <paramref name="datagram"/> (its address and length, not its bytes): see the type's remarks for what the
    /// memory must be. False when the batch is full (send it first).
    /// </summary>
    public bool TryAdd(ReadOnlySpan<byte> datagram)
    {
        if (Count == Capacity)
        {
            return false;
        }

        if (_block is null)
        {
            Allocate();
        }

        fixed (byte* bytes = datagram)
        {
            // The memory is pinned by contract, so the address outlives this fixed block.
            ref var entry = ref _datagrams[Count++];
            entry.Base = bytes;
            entry.Length = (nuint)datagram.Length;
        }

        Bytes += datagram.Length;
        return true;
    }

    /// <summary>Forgets every recorded datagram.</summary>
    public void Clear()
    {
        Count = 0;
        Bytes = 0;
    }

    internal MMsgHdr* Headers => _headers;

    /// <summary>Datagram <paramref name="index"/> as recorded.</summary>
    internal ReadOnlySpan<byte> Datagram(int index) => new(_datagrams[index].Base, (int)_datagrams[index].Length);

    /// <summary>Iovecs of message <paramref name="message"/> of the last <see cref="Build"/> (adjacent datagrams share one).</summary>
    internal int IovecsIn(int message) => (int)_headers[message].Header.IovLength;

    /// <summary>The UDP_SEGMENT size message <paramref name="message"/> of the last <see cref="Build"/> carries; 0 without one.</summary>
    internal int SegmentSizeOf(int message) =>
        _headers[message].Header.ControlLength == 0 ? 0 : SegmentControlSize((byte*)_headers[message].Header.Control);

    /// <summary>Datagrams carried by message <paramref name="message"/> of the last <see cref="Build"/>.</summary>
    internal int DatagramsIn(int message) => _messageDatagrams![message];

    /// <summary>
    /// Prepares at most <see cref="MaxMessages"/> messages for the datagrams from <paramref name="first"/> on: with
    /// <paramref name="segment"/>, consecutive datagrams of one size (at most <see cref="SegmentedSendPlan.MaxSegmentBytes"/>,
    /// the last of a group may be shorter) form one message with a UDP_SEGMENT control message, within
    /// <see cref="SegmentedSendPlan.MaxSegments"/> datagrams and <see cref="SegmentedSendPlan.MaxGroupBytes"/>; otherwise
    /// every datagram is its own message. A group's adjacent datagrams share one iovec.
    /// </summary>
    /// <returns>Messages prepared (at least one while datagrams remain from <paramref name="first"/>).</returns>
    internal int Build(int first, bool segment)
    {
        var messages = 0;
        var iovecs = 0;
        var i = first;
        while (i < Count && messages < MaxMessages)
        {
            var size = (int)_datagrams[i].Length;
            var start = iovecs;
            _iovecs[iovecs++] = _datagrams[i];
            var n = 1;
            var bytes = size;
            if (segment && size is > 0 and <= SegmentedSendPlan.MaxSegmentBytes)
            {
                while (i + n < Count && n < SegmentedSendPlan.MaxSegments)
                {
                    var next = _datagrams[i + n];
                    var length = (int)next.Length;
                    if (length > size || length == 0 || bytes + length > SegmentedSendPlan.MaxGroupBytes)
                    {
                        break;
                    }

                    ref var last = ref _iovecs[iovecs - 1];
                    if (last.Base + last.Length == next.Base)
                    {
                        last.Length += next.Length;
                    }
                    else
                    {
                        _iovecs[iovecs++] = next;
                    }

                    bytes += length;
                    n++;
                    if (length < size)
                    {
                        break; // a shorter datagram can only end a group
                    }
                }
            }

            ref var header = ref _headers[messages];
            header.Header.Name = null;
            header.Header.NameLength = 0;
            header.Header.Iov = _iovecs + start;
            header.Header.IovLength = (nuint)(iovecs - start);
            header.Header.Flags = 0;
            if (n > 1)
            {
                var control = _controls + (messages * ControlSpace);
                SegmentControlSize(control) = (ushort)size;
                header.Header.Control = control;
                header.Header.ControlLength = (nuint)ControlSpace;
            }
            else
            {
                header.Header.Control = null;
                header.Header.ControlLength = 0;
            }

            _messageDatagrams![messages++] = n;
            i += n;
        }

        return messages;
    }

    /// <summary>Keeps the pinned block reachable until a native call that uses its pointers has returned.</summary>
    internal void KeepAlive() => GC.KeepAlive(_block);

    private void Allocate()
    {
        var datagramBytes = PinnedBlock.AlignUp(Capacity * sizeof(IoVec));
        var headerBytes = PinnedBlock.AlignUp(MaxMessages * sizeof(MMsgHdr));
        var controlBytes = PinnedBlock.AlignUp(MaxMessages * ControlSpace);
        var block = PinnedBlock.Allocate((2 * datagramBytes) + headerBytes + controlBytes, uninitialized: false, out var aligned);
        _datagrams = (IoVec*)aligned;
        _iovecs = (IoVec*)(aligned + datagramBytes);
        _headers = (MMsgHdr*)(aligned + (2 * datagramBytes));
        _controls = aligned + (2 * datagramBytes) + headerBytes;
        for (var m = 0; m < MaxMessages; m++)
        {
            InitSegmentControl(_controls + (m * ControlSpace));
        }

        _messageDatagrams = new int[MaxMessages];
        _block = block;
    }

    private static int CheckCapacity(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MessageBuffer.MaxCapacity);
        return capacity;
    }
}
