using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// BATCH (latest class): several datagrams, each a record <c>channel u16 | length u16 | datagram</c>
/// (<see cref="TunnelBatchRecords"/>). With flag bit 0 set the records are LZ4-compressed: the body is the raw
/// length (u32) and then one LZ4 block. A zero-copy view of the frame.
/// </summary>
public readonly ref struct TunnelBatchFrame
{
    /// <summary>Frame length before the LZ4 block of a compressed batch.</summary>
    public const int CompressedHeaderLength = TunnelLayout.BatchBlockOffset;

    private TunnelBatchFrame(bool compressed, int rawLength, ReadOnlySpan<byte> content)
    {
        IsCompressed = compressed;
        RawLength = rawLength;
        Content = content;
    }

    /// <summary>True when <see cref="Content"/> is an LZ4 block to decompress into <see cref="RawLength"/> bytes.</summary>
    public bool IsCompressed { get; }

    /// <summary>Length of the records once decompressed (equal to <see cref="Content"/>'s length when not compressed).</summary>
    public int RawLength { get; }

    /// <summary>The records (already validated) or the LZ4 block (validate the records after decompressing).</summary>
    public ReadOnlySpan<byte> Content { get; }

    /// <summary>
    /// Reads one whole BATCH frame whose records (after any decompression) may take at most
    /// <paramref name="maxRawLength"/> bytes. Uncompressed records are validated here. Never throws;
    /// <paramref name="value"/> is default unless the result is None.
    /// </summary>
    public static TunnelFrameError TryRead(ReadOnlySpan<byte> frame, int maxRawLength, out TunnelBatchFrame value)
    {
        value = default;
        TunnelFrameError error = TunnelLayout.Check(
            frame, TunnelFrameType.Batch, TunnelFrameHeader.Length + 1, int.MaxValue, TunnelLayout.BatchCompressedFlag, hasChannel: false);
        if (error != TunnelFrameError.None)
        {
            return error;
        }

        ReadOnlySpan<byte> body = frame[TunnelFrameHeader.Length..];
        if ((frame[TunnelLayout.FlagsOffset] & TunnelLayout.BatchCompressedFlag) == 0)
        {
            if (body.Length > maxRawLength)
            {
                return TunnelFrameError.BadBatch;
            }

            error = TunnelBatchRecords.Validate(body);
            if (error == TunnelFrameError.None)
            {
                value = new TunnelBatchFrame(false, body.Length, body);
            }

            return error;
        }

        if (frame.Length <= CompressedHeaderLength)
        {
            return TunnelFrameError.WrongLength;
        }

        uint rawLength = BinaryPrimitives.ReadUInt32BigEndian(frame[TunnelLayout.BatchRawLengthOffset..]);
        if (rawLength == 0 || rawLength > (uint)maxRawLength)
        {
            return TunnelFrameError.BadBatch;
        }

        value = new TunnelBatchFrame(true, (int)rawLength, frame[CompressedHeaderLength..]);
        return TunnelFrameError.None;
    }
}
