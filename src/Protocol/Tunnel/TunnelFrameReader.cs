using System.Buffers;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// Slices whole tunnel frames (8-byte header + body, see <see cref="TunnelFrameHeader"/>) off the front of a
/// received byte stream. Frames may arrive split at any byte and several may arrive in one read; each call slices at
/// most one whole frame, or consumes nothing.
/// </summary>
/// <remarks>
/// <para>
/// The body length is compared with <see cref="MaxBodyLength"/> as soon as the 8 header bytes are there, before
/// any body byte is waited for, so a peer cannot make the caller buffer more than that
/// (<see cref="FrameStatus.TooLarge"/>: close the connection, the stream cannot be resynchronised).
/// </para>
/// <para>
/// Only the framing is checked here; the type, flags and body are checked by the typed readers. No scan state is
/// kept between calls: re-reading 8 header bytes is cheaper than keeping it, and the body is never scanned, only
/// sliced. After <see cref="FrameStatus.NeedMoreData"/> with a known header, wait for
/// <c>header.FrameLength</c> bytes (<c>PipeReader.ReadAtLeastAsync</c>) rather than for every segment.
/// </para>
/// <para>The reader is immutable and can be shared between connections.</para>
/// </remarks>
public sealed class TunnelFrameReader
{
    /// <summary>Default <see cref="MaxBodyLength"/>: 64 KiB, room for the largest UDP datagram in a DATA frame.</summary>
    public const int DefaultMaxBodyLength = 64 * 1024;

    /// <summary>The limit while the handshake runs: the largest handshake frame body (ERROR) is 122 bytes.</summary>
    public const int HandshakeMaxBodyLength = 128;

    /// <summary>The largest maximum a reader accepts: 1 MiB.</summary>
    public const int LargestMaxBodyLength = 1024 * 1024;

    /// <summary>Creates a reader that accepts bodies of up to <paramref name="maxBodyLength"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBodyLength"/> is not 1 .. 1 MiB.</exception>
    public TunnelFrameReader(int maxBodyLength = DefaultMaxBodyLength)
    {
        if (maxBodyLength is <= 0 or > LargestMaxBodyLength)
        {
            CallerBug.ArgumentOutOfRange(nameof(maxBodyLength), "The maximum body length must be 1 .. 1 MiB.");
        }

        MaxBodyLength = maxBodyLength;
    }

    /// <summary>A shared reader with the default maximum of 64 KiB.</summary>
    public static TunnelFrameReader Default { get; } = new();

    /// <summary>A shared reader with the handshake maximum of 128 bytes.</summary>
    public static TunnelFrameReader Handshake { get; } = new(HandshakeMaxBodyLength);

    /// <summary>Largest body accepted, in bytes (the header not included).</summary>
    public int MaxBodyLength { get; }

    /// <summary>
    /// Slices one whole frame (header included) off the front of <paramref name="buffer"/>. On
    /// <see cref="FrameStatus.Done"/> <paramref name="frame"/> is the frame and <paramref name="buffer"/> starts after
    /// it; otherwise both are unchanged and <paramref name="frame"/> is empty. <paramref name="header"/> is filled
    /// whenever the 8 header bytes are there (so a <see cref="FrameStatus.TooLarge"/> can be logged), default otherwise.
    /// </summary>
    public FrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame, out TunnelFrameHeader header)
    {
        frame = default;
        scoped ReadOnlySpan<byte> start = buffer.FirstSpan;
        Span<byte> copy = stackalloc byte[TunnelFrameHeader.Length];
        if (start.Length < TunnelFrameHeader.Length && buffer.Length >= TunnelFrameHeader.Length)
        {
            buffer.Slice(0, TunnelFrameHeader.Length).CopyTo(copy); // the header straddles segments
            start = copy;
        }

        FrameStatus status = Inspect(start, buffer.Length, out header);
        if (status == FrameStatus.Done)
        {
            frame = buffer.Slice(0, header.FrameLength);
            buffer = buffer.Slice(frame.End);
        }

        return status;
    }

    /// <summary>
    /// Span form of <see cref="TryReadFrame(ref ReadOnlySequence{byte}, out ReadOnlySequence{byte}, out TunnelFrameHeader)"/>
    /// for callers with contiguous bytes.
    /// </summary>
    public FrameStatus TryReadFrame(ref ReadOnlySpan<byte> buffer, out ReadOnlySpan<byte> frame, out TunnelFrameHeader header)
    {
        frame = default;
        FrameStatus status = Inspect(buffer, buffer.Length, out header);
        if (status == FrameStatus.Done)
        {
            frame = buffer[..(int)header.FrameLength];
            buffer = buffer[frame.Length..];
        }

        return status;
    }

    private FrameStatus Inspect(ReadOnlySpan<byte> start, long available, out TunnelFrameHeader header)
    {
        if (!TunnelFrameHeader.TryRead(start, out header))
        {
            return FrameStatus.NeedMoreData;
        }

        return header.BodyLength > (uint)MaxBodyLength ? FrameStatus.TooLarge
            : available < header.FrameLength ? FrameStatus.NeedMoreData
            : FrameStatus.Done;
    }
}
