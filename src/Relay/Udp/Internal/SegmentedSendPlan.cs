using static FastSpinnRelay.Relay.Udp.Internal.LinuxInterop;

namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>
/// Groups a send queue's datagrams for UDP generic segmentation offload (Linux UDP_SEGMENT): consecutive
/// datagrams of the same length to the same destination become one <c>mmsghdr</c> whose iovecs are their slots
/// and whose control message gives the segment size. The kernel builds one large packet and cuts it back into
/// exactly those datagrams (in software on loopback and on NICs without UDP segmentation offload), so the wire
/// carries the same datagrams while the stack is traversed once per group instead of once per datagram.
/// </summary>
/// <remarks>
/// A queue slot may already hold a packed run of datagrams (<see cref="MessageBuffer.TryAppend"/>): a group is then
/// several such slots, and the kernel cuts their concatenated bytes every segment size, which falls on datagram
/// boundaries because every slot of a group holds whole datagrams of that size.
/// Holds its own pinned headers and control messages (allocated once, sized for the queue); the queue's headers
/// are never modified, so a fallback to plain sendmmsg can use them as they are. A group's iovecs are the queue's
/// contiguous iovecs <c>i .. i+n-1</c>: header <c>i</c> of a <see cref="MessageBuffer"/> always points at iovec
/// <c>i</c>.
/// Loop thread only, like the send queue.
/// </remarks>
internal sealed unsafe class SegmentedSendPlan
{
    /// <summary>Most datagrams per group (the kernel's UDP_MAX_SEGMENTS is 64 on older kernels, 128 on newer).</summary>
    public const int MaxSegments = 64;

    /// <summary>
    /// Largest datagram grouped: a segment must fit the route's MTU without fragmenting, and 1452 bytes fit a
    /// 1500-byte Ethernet MTU over IPv4 and IPv6. SpiNNaker datagrams are at most 1042 bytes (boot); larger ones
    /// are sent one by one, as before.
    /// </summary>
    public const int MaxSegmentBytes = 1452;

    /// <summary>Most payload bytes per group (under the 64 KiB limit of one UDP packet, with room for headers).</summary>
    public const int MaxGroupBytes = 60_000;

    // One UDP_SEGMENT control message per group.
    private static readonly int ControlSpace = SegmentControlSpace;

    private readonly byte[] _block;
    private readonly MMsgHdr* _headers;
    private readonly byte* _controls;
    private readonly int[] _sizes;

    public SegmentedSendPlan(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        var headerBytes = PinnedBlock.AlignUp(capacity * sizeof(MMsgHdr));
        _block = PinnedBlock.Allocate(headerBytes + (capacity * ControlSpace), uninitialized: false, out var aligned);
        _headers = (MMsgHdr*)aligned;
        _controls = aligned + headerBytes;
        _sizes = new int[capacity];
        for (var g = 0; g < capacity; g++)
        {
            InitSegmentControl(_controls + (g * ControlSpace));
        }
    }

    /// <summary>Most groups one plan holds (the queue's slot count: every slot its own group at worst).</summary>
    public int Capacity { get; }

    /// <summary>Groups built by the last <see cref="Build"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Datagrams in the last plan that form a group of two or more (0: segmentation would gain nothing).</summary>
    public int Segmented { get; private set; }

    public MMsgHdr* Headers => _headers;

    /// <summary>Queue slots (headers) in group <paramref name="group"/>.</summary>
    public int Size(int group) => _sizes[group];

    /// <summary>Queue slots (headers) in groups <c>0 .. groups-1</c>: what a sendmmsg that sent that many groups consumed.</summary>
    public int Slots(int groups)
    {
        var total = 0;
        for (var g = 0; g < groups; g++)
        {
            total += _sizes[g];
        }

        return total;
    }

    /// <summary>
    /// Groups the queue's slots <c>start .. start+count-1</c>, in order. A slot holds one datagram or a packed run of
    /// same-sized ones (<see cref="MessageBuffer.TryAppend"/>); consecutive slots of one segment size and destination
    /// join a group while it stays within <see cref="MaxSegments"/> datagrams and <see cref="MaxGroupBytes"/>.
    /// </summary>
    public void Build(MessageBuffer queue, int start, int count)
    {
        var groups = 0;
        var segmented = 0;
        var end = start + count;
        for (var i = start; i < end && groups < Capacity;)
        {
            var size = queue.SegmentSize(i);
            var datagrams = queue.Datagrams(i);
            var n = 1;
            if (size is > 0 and <= MaxSegmentBytes)
            {
                var to = queue.Destination(i);
                var bytes = queue.OutgoingLength(i);
                while (i + n < end && queue.SegmentSize(i + n) == size
                    && datagrams + queue.Datagrams(i + n) <= MaxSegments && bytes + queue.OutgoingLength(i + n) <= MaxGroupBytes
                    && queue.SameDestination(i + n, to))
                {
                    bytes += queue.OutgoingLength(i + n);
                    datagrams += queue.Datagrams(i + n);
                    n++;
                }
            }

            ref var source = ref queue.Header(i).Header;
            ref var header = ref _headers[groups].Header;
            header.Name = source.Name;
            header.NameLength = source.NameLength;
            header.Iov = source.Iov;
            header.IovLength = (nuint)n;
            header.Flags = 0;
            if (datagrams > 1)
            {
                var control = _controls + (groups * ControlSpace);
                SegmentControlSize(control) = (ushort)size;
                header.Control = control;
                header.ControlLength = (nuint)ControlSpace;
                segmented += datagrams;
            }
            else
            {
                header.Control = null;
                header.ControlLength = 0;
            }

            _sizes[groups++] = n;
            i += n;
        }

        Count = groups;
        Segmented = segmented;
    }

    /// <summary>Keeps the pinned block reachable until a native call that uses its pointers has returned.</summary>
    public void KeepAlive() => GC.KeepAlive(_block);
}
