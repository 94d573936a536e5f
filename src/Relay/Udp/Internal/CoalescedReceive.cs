using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static FastSpinnRelay.Relay.Udp.Internal.LinuxInterop;

namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>
/// Receive side of UDP generic receive offload (Linux UDP_GRO): the kernel may hand one message holding a train of
/// same-sized datagrams from one sender (a GSO group, or packets the NIC coalesced), with the datagram size in a
/// control message. This reads such messages into its own large slots and deals the datagrams out one by one as
/// views into those slots (<see cref="DatagramView"/>: no copies), so receivers still see single datagrams, exactly
/// as sent. Whatever does not fit the caller's batch stays here for the next call
/// (<see cref="HasPending"/>, for <see cref="Owner"/> only). One per <see cref="DatagramBatch"/>, made on its
/// first coalescing receive, so an event loop has one whatever its number of sockets. Single-threaded, like the batch.
/// </summary>
internal sealed unsafe class CoalescedReceive
{
    /// <summary>Most messages read per recvmmsg (fewer for a smaller batch). Each may hold up to 64 datagrams.</summary>
    public const int MaxMessages = 16;

    /// <summary>Bytes per message slot: the largest coalesced message (one UDP packet's worth).</summary>
    public const int MessageBytes = 65535;

    // Room for the UDP_GRO message (an int) and whatever else the kernel may add.
    private static readonly int ControlSpace = CmsgSpace(sizeof(int)) + 64;

    private readonly MessageBuffer _messages;
    private readonly byte[] _controls;
    private readonly byte* _control;
    private int _count;
    private int _message;
    private int _offset;
    private int _size;

    /// <param name="messages">
    /// Messages per read: the batch's capacity, at most <see cref="MaxMessages"/>, so single datagrams always fit
    /// one batch (a socket gets one batch per loop iteration, as without coalescing) and only coalesced ones spill.
    /// </param>
    public CoalescedReceive(int messages)
    {
        Messages = Math.Clamp(messages, 1, MaxMessages);
        _messages = new MessageBuffer(Messages, MessageBytes, uninitialized: true);
        _controls = GC.AllocateArray<byte>(Messages * ControlSpace, pinned: true);
        _control = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_controls));
        for (var i = 0; i < Messages; i++)
        {
            _messages.Header(i).Header.Control = _control + (i * ControlSpace);
        }
    }

    public int Messages { get; }

    /// <summary>The socket whose read is being dealt out (pending datagrams belong to it alone).</summary>
    public UdpSocket? Owner { get; private set; }

    /// <summary>True while datagrams of the last read are still to be dealt out.</summary>
    public bool HasPending => _message < _count;

    /// <summary>
    /// Reads waiting messages for <paramref name="owner"/> (one recvmmsg). Anything another socket left pending is
    /// discarded and returned as <paramref name="discarded"/> (an event loop always deals a read out completely).
    /// </summary>
    public IoResult Read(DatagramIo io, UdpSocket owner, out int discarded)
    {
        discarded = 0;
        for (var m = _message; m < _count; m++)
        {
            ref var header = ref _messages.Header(m);
            var left = (int)header.Length - (m == _message ? _offset : 0);
            var size = SegmentSize(ref header.Header, (int)header.Length);
            discarded += Math.Max(1, (left + size - 1) / size);
        }

        Owner = owner;
        for (var i = 0; i < Messages; i++)
        {
            _messages.Header(i).Header.ControlLength = (nuint)ControlSpace; // in/out: the kernel writes what it used
        }

        var result = io.Receive(_messages);
        GC.KeepAlive(_controls);
        _count = result.Count;
        _message = 0;
        _offset = 0;
        _size = _count > 0 ? SegmentSize(ref _messages.Header(0).Header, (int)_messages.Header(0).Length) : 0;
        return result;
    }

    /// <summary>
    /// Records pending datagrams in <paramref name="views"/> from index 0, at most <paramref name="capacity"/>, without
    /// copying: each view points at its bytes inside the message, cut to <paramref name="slotSize"/> and flagged when
    /// longer, and at the message's sender. Returns how many, and their bytes as held.
    /// </summary>
    public int DealViews(DatagramView[] views, int capacity, int slotSize, out long bytes, out int truncated)
    {
        var dealt = 0;
        bytes = 0;
        truncated = 0;
        while (_message < _count && dealt < capacity)
        {
            ref var source = ref _messages.Header(_message);
            var total = (int)source.Length;
            var length = Math.Min(_size, total - _offset);
            var kept = Math.Min(length, slotSize);
            var cut = kept < length || (source.Header.Flags & MSG_TRUNC) != 0;
            ref var view = ref views[dealt];
            view.Payload = _messages.Payload(_message) + _offset;
            view.Source = (UdpAddress*)Unsafe.AsPointer(ref _messages.Address(_message));
            view.Length = kept;
            view.Truncated = cut;
            bytes += kept;
            truncated += cut ? 1 : 0;
            dealt++;

            _offset += length;
            if (_offset >= total && ++_message < _count)
            {
                _offset = 0;
                _size = SegmentSize(ref _messages.Header(_message).Header, (int)_messages.Header(_message).Length);
            }
        }

        return dealt;
    }

    /// <summary>The datagram size of a coalesced message (its UDP_GRO control message), or the whole length.</summary>
    private static int SegmentSize(ref MsgHdr header, int total)
    {
        if (header.Control == null || header.ControlLength < (nuint)(CmsgHeaderBytes + sizeof(int)))
        {
            return Math.Max(total, 1);
        }

        var end = (byte*)header.Control + header.ControlLength;
        for (var cmsg = (byte*)header.Control; cmsg + CmsgHeaderBytes <= end;)
        {
            var length = *(nuint*)cmsg;
            if (length < (nuint)CmsgHeaderBytes || cmsg + length > end)
            {
                break;
            }

            if (*(int*)(cmsg + IntPtr.Size) == SOL_UDP && *(int*)(cmsg + IntPtr.Size + 4) == UDP_GRO && length >= (nuint)(CmsgHeaderBytes + sizeof(int)))
            {
                var size = *(int*)(cmsg + CmsgHeaderBytes);
                return size > 0 ? size : Math.Max(total, 1);
            }

            cmsg += CmsgSpace((int)length - CmsgHeaderBytes);
        }

        return Math.Max(total, 1);
    }
}
