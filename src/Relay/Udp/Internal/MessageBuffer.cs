using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static FastSpinnRelay.Relay.Udp.Internal.LinuxInterop;

namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>
/// One pinned block holding everything a recvmmsg/sendmmsg batch needs: <c>mmsghdr</c> headers, one iovec
/// per header, a <see cref="UdpAddress"/> per header (the kernel reads and writes <c>sockaddr</c> bytes there)
/// and the payload slots. Allocated once on the pinned object heap, so there is nothing to free and no
/// pointer can outlive the memory while this object is reachable.
/// </summary>
/// <remarks>
/// Header <c>i</c> always uses iovec <c>i</c>; the payload and address pointers of a header may be swapped
/// with another header's (see <see cref="SwapSlots"/>) so a send queue can compact without copying bytes.
/// A send slot may hold a packed run of same-sized datagrams for one destination (<see cref="TryAppend"/>): its
/// header then carries its own UDP_SEGMENT control message, so even a plain sendmmsg sends it as those datagrams.
/// Each slot has one spare byte after <see cref="SlotSize"/>: the portable path receives into it to detect
/// truncation, which <c>Socket.ReceiveFrom</c> does not report on Linux.
/// </remarks>
internal sealed unsafe class MessageBuffer
{
    /// <summary>Upper bound on slots per buffer (a cap on memory a configuration can ask for).</summary>
    public const int MaxCapacity = 1024;

    /// <summary>Largest UDP payload over IPv4.</summary>
    public const int MaxSlotSize = 65507;

    // One UDP_SEGMENT control message per header, used while its slot holds a packed run.
    private static readonly int ControlSpace = SegmentControlSpace;

    private readonly byte[] _block;
    private readonly MMsgHdr* _headers;
    private readonly IoVec* _iovecs;
    private readonly byte* _controls;
    private readonly Packing[] _packing;
    private int _receivedLast;

    /// <param name="capacity">Headers and slots, 1 to <see cref="MaxCapacity"/>.</param>
    /// <param name="slotSize">Bytes per slot, 1 to <see cref="MaxSlotSize"/>.</param>
    /// <param name="uninitialized">
    /// Leave the payload slots unzeroed, so the kernel maps their pages only when data is first written there (for
    /// large slots that are rarely full, such as coalesced receives). Headers are always cleared.
    /// </param>
    public MessageBuffer(int capacity, int slotSize, bool uninitialized = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotSize, ushort.MaxValue); // options stop at MaxSlotSize; coalesced reads need 65535

        Capacity = capacity;
        SlotSize = slotSize;
        var stride = PinnedBlock.AlignUp(slotSize + 1);
        var headerBytes = PinnedBlock.AlignUp(capacity * sizeof(MMsgHdr));
        var iovecBytes = PinnedBlock.AlignUp(capacity * sizeof(IoVec));
        var addressBytes = PinnedBlock.AlignUp(capacity * sizeof(UdpAddress));
        var controlBytes = PinnedBlock.AlignUp(capacity * ControlSpace);
        var blockBytes = headerBytes + iovecBytes + addressBytes + controlBytes + (capacity * stride);
        _block = PinnedBlock.Allocate(blockBytes, uninitialized, out var aligned);
        new Span<byte>(aligned, headerBytes + iovecBytes + addressBytes + controlBytes).Clear();
        _headers = (MMsgHdr*)aligned;
        _iovecs = (IoVec*)(aligned + headerBytes);
        var addresses = (UdpAddress*)(aligned + headerBytes + iovecBytes);
        _controls = aligned + headerBytes + iovecBytes + addressBytes;
        var payload = _controls + controlBytes;
        _packing = new Packing[capacity];
        for (var i = 0; i < capacity; i++)
        {
            InitSegmentControl(_controls + (i * ControlSpace));

            _iovecs[i].Base = payload + ((nint)i * stride);
            _iovecs[i].Length = (nuint)slotSize;
            ref var header = ref _headers[i].Header;
            header.Name = addresses + i;
            header.NameLength = (uint)sizeof(UdpAddress);
            header.Iov = _iovecs + i;
            header.IovLength = 1;
        }
    }

    public int Capacity { get; }

    /// <summary>Usable bytes per slot (a longer datagram is truncated to this).</summary>
    public int SlotSize { get; }

    public MMsgHdr* Headers => _headers;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref MMsgHdr Header(int index) => ref _headers[index];

    /// <summary>The slot's payload pointer (capacity <see cref="SlotSize"/> + 1 spare byte).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte* Payload(int index) => _iovecs[index].Base;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref UdpAddress Address(int index) => ref *(UdpAddress*)_headers[index].Header.Name;

    /// <summary>Datagram length recorded for the header (by the kernel or the portable path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Length(int index) => (int)_headers[index].Length;

    /// <summary>Length of the payload queued in header <paramref name="index"/> by <see cref="SetOutgoing"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int OutgoingLength(int index) => (int)_iovecs[index].Length;

    /// <summary>
    /// Resets <c>msg_namelen</c> (in/out) on the headers the last receive used; the other fields recvmmsg
    /// touches are outputs. Receive buffers are never used for sending, so the iovec lengths stay whole.
    /// </summary>
    public void PrepareReceive()
    {
        for (var i = 0; i < _receivedLast; i++)
        {
            _headers[i].Header.NameLength = (uint)sizeof(UdpAddress);
        }

        _receivedLast = 0;
    }

    /// <summary>Records how many headers a receive filled, for the next <see cref="PrepareReceive"/>.</summary>
    public void SetReceived(int count) => _receivedLast = count;

    /// <summary>The bytes queued in header <paramref name="index"/> (all its datagrams, when packed).</summary>
    public ReadOnlySpan<byte> OutgoingPayload(int index) => new(_iovecs[index].Base, (int)_iovecs[index].Length);

    /// <summary>The segment size header <paramref name="index"/>'s UDP_SEGMENT control message gives the kernel; 0 without one.</summary>
    public int ControlSegmentSize(int index)
    {
        ref var header = ref _headers[index].Header;
        return header.ControlLength == 0 ? 0 : SegmentControlSize((byte*)header.Control);
    }

    /// <summary>Datagrams queued in header <paramref name="index"/>'s slot: 1, or a packed run's length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Datagrams(int index) => _packing[index].Datagrams;

    /// <summary>Size of each datagram queued in header <paramref name="index"/>'s slot (its whole length unless packed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int SegmentSize(int index) => _packing[index].SegmentSize;

    /// <summary>Copies a payload and optional destination into header <paramref name="index"/>, ready for sendmmsg.</summary>
    public void SetOutgoing(int index, ReadOnlySpan<byte> payload, in UdpAddress destination)
    {
        payload.CopyTo(new Span<byte>(_iovecs[index].Base, payload.Length));
        _iovecs[index].Length = (nuint)payload.Length;
        _packing[index] = new Packing(1, payload.Length);
        ref var header = ref _headers[index];
        header.Header.Control = null;
        header.Header.ControlLength = 0;
        var nameLength = destination.SockAddrLength;
        header.Header.NameLength = (uint)nameLength;
        if (nameLength != 0)
        {
            *(UdpAddress*)header.Header.Name = destination;
        }
    }

    /// <summary>
    /// <see cref="TryAppend"/> within what one UDP GSO group may hold (<see cref="SegmentedSendPlan.MaxSegmentBytes"/>
    /// per datagram, <see cref="SegmentedSendPlan.MaxSegments"/> datagrams, <see cref="SegmentedSendPlan.MaxGroupBytes"/>):
    /// how a send queue or batch packs a run into its last slot.
    /// </summary>
    public bool TryPack(int index, ReadOnlySpan<byte> payload, in UdpAddress destination) =>
        payload.Length <= SegmentedSendPlan.MaxSegmentBytes
        && TryAppend(index, payload, destination, SegmentedSendPlan.MaxSegments, SegmentedSendPlan.MaxGroupBytes);

    /// <summary>
    /// <see cref="TryPack"/> for a datagram known to be for the slot's destination (a run for one address, see
    /// <see cref="UdpSocket.QueueSendRunTo{TSource}"/>): the same limits, without comparing addresses.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPackForSameDestination(int index, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > SegmentedSendPlan.MaxSegmentBytes
            || !RunTakes(index, payload.Length, SegmentedSendPlan.MaxSegments, SegmentedSendPlan.MaxGroupBytes))
        {
            return false;
        }

        Extend(index, payload);
        return true;
    }

    /// <summary>
    /// Adds <paramref name="payload"/> to the run already in header <paramref name="index"/>'s slot, when it is one
    /// more datagram of the same size for the same destination and the run stays within
    /// <paramref name="maxDatagrams"/>, <paramref name="maxBytes"/> and the slot. The header then carries a
    /// UDP_SEGMENT control message, so the kernel sends the slot as the separate datagrams it holds.
    /// </summary>
    /// <returns>False, with nothing changed, when the datagram cannot join the run.</returns>
    public bool TryAppend(int index, ReadOnlySpan<byte> payload, in UdpAddress destination, int maxDatagrams, int maxBytes)
    {
        if (!RunTakes(index, payload.Length, maxDatagrams, maxBytes) || !SameDestination(index, destination))
        {
            return false;
        }

        Extend(index, payload);
        return true;
    }

    /// <summary>
    /// True when the run in header <paramref name="index"/>'s slot can take one more datagram of
    /// <paramref name="length"/> bytes: its size, and within <paramref name="maxDatagrams"/>, <paramref name="maxBytes"/>
    /// and the slot (the destination is the caller's to compare).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool RunTakes(int index, int length, int maxDatagrams, int maxBytes)
    {
        ref var packing = ref _packing[index];
        var size = packing.SegmentSize;
        return length == size && packing.Datagrams < maxDatagrams && (int)_iovecs[index].Length + size <= Math.Min(SlotSize, maxBytes);
    }

    /// <summary>Adds <paramref name="payload"/> to the run in header <paramref name="index"/>'s slot, which can take it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Extend(int index, ReadOnlySpan<byte> payload)
    {
        ref var iovec = ref _iovecs[index];
        var length = (int)iovec.Length;
        CopyShort(payload, iovec.Base + length);
        iovec.Length = (nuint)(length + payload.Length);
        if (_packing[index].Datagrams++ == 1)
        {
            MarkPacked(index, payload.Length);
        }
    }

    /// <summary>
    /// Copies a datagram into a slot: 16 to 32 bytes (most EIEIO packets) as two overlapping 16-byte moves inline,
    /// anything else through <see cref="Span{T}.CopyTo"/> (a call, whose set-up costs about as much as such a copy).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyShort(ReadOnlySpan<byte> payload, byte* to)
    {
        var length = payload.Length;
        if ((uint)(length - 16) <= 16)
        {
            ref var from = ref MemoryMarshal.GetReference(payload);
            var head = Vector128.LoadUnsafe(ref from);
            var tail = Vector128.LoadUnsafe(ref from, (nuint)(length - 16));
            head.Store(to);
            tail.Store(to + length - 16);
            return;
        }

        payload.CopyTo(new Span<byte>(to, length));
    }

    /// <summary>Gives header <paramref name="index"/> its UDP_SEGMENT control message (the slot now holds a run).</summary>
    private void MarkPacked(int index, int size)
    {
        ref var header = ref _headers[index].Header;
        var control = _controls + (index * ControlSpace);
        SegmentControlSize(control) = (ushort)size;
        header.Control = control;
        header.ControlLength = (nuint)ControlSpace;
    }

    /// <summary>
    /// True when header <paramref name="index"/> is addressed to exactly <paramref name="destination"/>'s socket address
    /// bytes (empty: the connected peer), so datagrams sent together under one header's address lose nothing.
    /// </summary>
    public bool SameDestination(int index, in UdpAddress destination)
    {
        ref var header = ref _headers[index].Header;
        var length = destination.SockAddrLength;
        return header.NameLength == (uint)length
            && (length == 0 || new ReadOnlySpan<byte>(header.Name, length).SequenceEqual(
                MemoryMarshal.AsBytes(new ReadOnlySpan<UdpAddress>(in destination))[..length]));
    }

    /// <summary>Where header <paramref name="index"/> sends to: its address, or empty for the connected peer.</summary>
    public UdpAddress Destination(int index) => HasDestination(index) ? Address(index) : default;

    /// <summary>True when header <paramref name="index"/> carries a destination (sendto) rather than using connect().</summary>
    public bool HasDestination(int index) => _headers[index].Header.NameLength != 0;

    /// <summary>
    /// Exchanges the payload (with its length), destination and packing of two headers (pointer swaps and a few
    /// fields, no payload copies). Each header keeps its own control message area; only its contents move.
    /// </summary>
    public void SwapSlots(int a, int b)
    {
        (_iovecs[a], _iovecs[b]) = (_iovecs[b], _iovecs[a]);
        (_packing[a], _packing[b]) = (_packing[b], _packing[a]);
        ref var ha = ref _headers[a];
        ref var hb = ref _headers[b];
        var name = ha.Header.Name;
        ha.Header.Name = hb.Header.Name;
        hb.Header.Name = name;
        (ha.Header.NameLength, hb.Header.NameLength) = (hb.Header.NameLength, ha.Header.NameLength);
        var controlA = _controls + (a * ControlSpace);
        var controlB = _controls + (b * ControlSpace);
        (SegmentControlSize(controlA), SegmentControlSize(controlB)) = (SegmentControlSize(controlB), SegmentControlSize(controlA));
        var packedA = ha.Header.ControlLength != 0;
        var packedB = hb.Header.ControlLength != 0;
        ha.Header.Control = packedB ? controlA : null;
        ha.Header.ControlLength = packedB ? (nuint)ControlSpace : 0;
        hb.Header.Control = packedA ? controlB : null;
        hb.Header.ControlLength = packedA ? (nuint)ControlSpace : 0;
    }

    /// <summary>Keeps the block reachable until a native call that uses its pointers has returned.</summary>
    public void KeepAlive() => GC.KeepAlive(_block);

    /// <summary>What a send slot holds: <see cref="Datagrams"/> datagrams of <see cref="SegmentSize"/> bytes each.</summary>
    private struct Packing(int datagrams, int segmentSize)
    {
        public int Datagrams = datagrams;
        public int SegmentSize = segmentSize;
    }
}
