using System.Buffers;
using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Framing;

/// <summary>
/// Reads spinnaker_proxy's TCP framing (protocols.md §8): each UDP datagram travels as
/// <code>
/// +------------------------------+---------------------------+
/// | length: u32, BIG-endian (4 B) | payload: 'length' bytes   |
/// +------------------------------+---------------------------+
/// </code>
/// with nothing else between frames. Frames may arrive split at any byte and several may arrive in one read; each
/// call slices at most one whole frame off the front of the buffer, or consumes nothing.
/// </summary>
/// <remarks>
/// <para>
/// The length is compared with <see cref="MaxFrameLength"/> as soon as its 4 bytes are there, before any payload is
/// waited for, so a peer cannot make the caller buffer more than that (<see cref="FrameStatus.TooLarge"/>).
/// </para>
/// <para>
/// A zero-length frame is valid: it is returned as <see cref="FrameStatus.Done"/> with an empty frame, and stands for
/// an empty UDP datagram, which the Python original would forward as such.
/// </para>
/// <para>
/// No scan state is carried between calls: re-reading a 4-byte prefix is cheaper than keeping state, and the payload
/// is never scanned, only sliced. To avoid being woken for every small segment of a large frame, pass
/// <c>HeaderLength + announcedLength</c> to <c>PipeReader.ReadAtLeastAsync</c> after <see cref="FrameStatus.NeedMoreData"/>.
/// </para>
/// <para>The reader is immutable and can be shared between connections.</para>
/// </remarks>
public sealed class LengthPrefixedFrameReader
{
    /// <summary>Size of the length prefix in bytes.</summary>
    public const int HeaderLength = 4;

    /// <summary>Default <see cref="MaxFrameLength"/>: 64 KiB, above the largest UDP payload (65,507 bytes over IPv4).</summary>
    public const int DefaultMaxFrameLength = 64 * 1024;

    /// <summary>Creates a reader that accepts payloads of up to <paramref name="maxFrameLength"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxFrameLength"/> is 0 or negative.</exception>
    public LengthPrefixedFrameReader(int maxFrameLength = DefaultMaxFrameLength)
    {
        if (maxFrameLength <= 0)
        {
            CallerBug.ArgumentOutOfRange(nameof(maxFrameLength), "The maximum frame length must be positive.");
        }

        MaxFrameLength = maxFrameLength;
    }

    /// <summary>A shared reader with the default maximum of 64 KiB.</summary>
    public static LengthPrefixedFrameReader Default { get; } = new();

    /// <summary>Largest payload accepted, in bytes (the prefix not included).</summary>
    public int MaxFrameLength { get; }

    /// <summary>
    /// Slices one whole frame off the front of <paramref name="buffer"/>: on <see cref="FrameStatus.Done"/>
    /// <paramref name="frame"/> is its payload and <paramref name="buffer"/> starts after it; otherwise both are
    /// unchanged and <paramref name="frame"/> is empty.
    /// </summary>
    public FrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame) =>
        TryReadFrame(ref buffer, out frame, out _);

    /// <summary>
    /// As <see cref="TryReadFrame(ref ReadOnlySequence{byte}, out ReadOnlySequence{byte})"/>, also giving the length the
    /// prefix announces (the offending length for <see cref="FrameStatus.TooLarge"/>), or -1 while fewer than 4
    /// prefix bytes are there.
    /// </summary>
    public FrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame, out long announcedLength)
    {
        frame = default;
        scoped ReadOnlySpan<byte> start = buffer.FirstSpan;
        Span<byte> prefix = stackalloc byte[HeaderLength];
        if (start.Length < HeaderLength && buffer.Length >= HeaderLength)
        {
            buffer.Slice(0, HeaderLength).CopyTo(prefix); // the prefix straddles segments
            start = prefix;
        }

        FrameStatus status = Inspect(start, buffer.Length, out announcedLength);
        if (status == FrameStatus.Done)
        {
            frame = buffer.Slice(HeaderLength, announcedLength);
            buffer = buffer.Slice(frame.End);
        }

        return status;
    }

    /// <summary>
    /// Span form for callers with contiguous bytes: on <see cref="FrameStatus.Done"/> <paramref name="frame"/> is the
    /// payload and <paramref name="buffer"/> starts after it; otherwise both are unchanged and <paramref name="frame"/> is empty.
    /// </summary>
    public FrameStatus TryReadFrame(ref ReadOnlySpan<byte> buffer, out ReadOnlySpan<byte> frame) =>
        TryReadFrame(ref buffer, out frame, out _);

    /// <summary>
    /// As <see cref="TryReadFrame(ref ReadOnlySpan{byte}, out ReadOnlySpan{byte})"/>, also giving the announced length,
    /// or -1 while fewer than 4 prefix bytes are there.
    /// </summary>
    public FrameStatus TryReadFrame(ref ReadOnlySpan<byte> buffer, out ReadOnlySpan<byte> frame, out long announcedLength)
    {
        frame = default;
        FrameStatus status = Inspect(buffer, buffer.Length, out announcedLength);
        if (status == FrameStatus.Done)
        {
            frame = buffer.Slice(HeaderLength, (int)announcedLength);
            buffer = buffer[(HeaderLength + frame.Length)..];
        }

        return status;
    }

    /// <summary>
    /// Decides the outcome from the first bytes of the buffer (<paramref name="start"/>: at least the whole prefix
    /// whenever <paramref name="available"/> &gt;= 4) and the total number of bytes available.
    /// </summary>
    private FrameStatus Inspect(ReadOnlySpan<byte> start, long available, out long announcedLength)
    {
        if (available < HeaderLength)
        {
            announcedLength = -1;
            return FrameStatus.NeedMoreData;
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(start);
        announcedLength = length;
        return length > (uint)MaxFrameLength ? FrameStatus.TooLarge
            : available - HeaderLength < length ? FrameStatus.NeedMoreData
            : FrameStatus.Done;
    }
}
