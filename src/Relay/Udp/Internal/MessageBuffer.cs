using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
/// Each slot has one spare byte after <see cref="SlotSize"/>: the portable path receives into it to detect
/// truncation, which <c>Socket.ReceiveFrom</c> does not report on Linux.
/// </remarks>
internal sealed unsafe class MessageBuffer
{
    /// <summary>Upper bound on slots per buffer (a cap on memory a configuration can ask for).</summary>
    public const int MaxCapacity = 1024;

    /// <summary>Largest UDP payload over IPv4.</summary>
    public const int MaxSlotSize = 65507;

    private readonly byte[] _block;
    private readonly MMsgHdr* _headers;
    private readonly IoVec* _iovecs;
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
        var stride = AlignUp(slotSize + 1, 64);
        var headerBytes = AlignUp(capacity * sizeof(MMsgHdr), 64);
        var iovecBytes = AlignUp(capacity * sizeof(IoVec), 64);
        var addressBytes = AlignUp(capacity * sizeof(UdpAddress), 64);
        var blockBytes = 64 + headerBytes + iovecBytes + addressBytes + (capacity * stride);
        _block = uninitialized ? GC.AllocateUninitializedArray<byte>(blockBytes, pinned: true) : GC.AllocateArray<byte>(blockBytes, pinned: true);

        var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_block));
        var aligned = (byte*)AlignUp((nint)start, 64);
        new Span<byte>(aligned, headerBytes + iovecBytes + addressBytes).Clear();
        _headers = (MMsgHdr*)aligned;
        _iovecs = (IoVec*)(aligned + headerBytes);
        var addresses = (UdpAddress*)(aligned + headerBytes + iovecBytes);
        var payload = aligned + headerBytes + iovecBytes + addressBytes;
        for (var i = 0; i < capacity; i++)
        {
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

    /// <summary>Copies a payload and optional destination into header <paramref name="index"/>, ready for sendmmsg.</summary>
    public void SetOutgoing(int index, ReadOnlySpan<byte> payload, in UdpAddress destination)
    {
        payload.CopyTo(new Span<byte>(_iovecs[index].Base, payload.Length));
        _iovecs[index].Length = (nuint)payload.Length;
        ref var header = ref _headers[index];
        var nameLength = destination.SockAddrLength;
        header.Header.NameLength = (uint)nameLength;
        if (nameLength != 0)
        {
            *(UdpAddress*)header.Header.Name = destination;
        }
    }

    /// <summary>True when header <paramref name="index"/> carries a destination (sendto) rather than using connect().</summary>
    public bool HasDestination(int index) => _headers[index].Header.NameLength != 0;

    /// <summary>Exchanges the payload (with its length) and destination of two headers (pointer swaps, no byte copies).</summary>
    public void SwapSlots(int a, int b)
    {
        (_iovecs[a], _iovecs[b]) = (_iovecs[b], _iovecs[a]);
        ref var ha = ref _headers[a];
        ref var hb = ref _headers[b];
        var name = ha.Header.Name;
        ha.Header.Name = hb.Header.Name;
        hb.Header.Name = name;
        (ha.Header.NameLength, hb.Header.NameLength) = (hb.Header.NameLength, ha.Header.NameLength);
    }

    /// <summary>Keeps the block reachable until a native call that uses its pointers has returned.</summary>
    public void KeepAlive() => GC.KeepAlive(_block);

    private static int AlignUp(int value, int alignment) => (value + alignment - 1) & ~(alignment - 1);

    private static nint AlignUp(nint value, int alignment) => (value + alignment - 1) & ~(nint)(alignment - 1);
}
