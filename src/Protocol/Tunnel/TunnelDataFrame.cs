using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// DATA (reliable): one datagram on <see cref="Channel"/>, with its sequence number and the gap in microseconds since
/// the previous DATA on that channel was sent. 20 bytes plus the datagram (at most 65,507 bytes).
/// </summary>
public readonly ref struct TunnelDataFrame
{
    /// <summary>Frame length before the datagram.</summary>
    public const int HeaderLength = TunnelLayout.DataPayloadOffset;

    /// <summary>Largest datagram carried (UDP over IPv4).</summary>
    public const int MaxDatagramLength = TunnelLayout.MaxDatagramLength;

    private readonly ReadOnlySpan<byte> _frame;

    private TunnelDataFrame(ReadOnlySpan<byte> frame) => _frame = frame;

    /// <summary>The channel the datagram belongs to.</summary>
    public ushort Channel => BinaryPrimitives.ReadUInt16BigEndian(_frame[TunnelLayout.ChannelOffset..]);

    /// <summary>Reliable sequence number.</summary>
    public ulong Sequence => TunnelLayout.ReadU64(_frame, TunnelLayout.SequenceOffset);

    /// <summary>Microseconds since the previous DATA on this channel was sent (saturated).</summary>
    public uint GapMicroseconds => BinaryPrimitives.ReadUInt32BigEndian(_frame[TunnelLayout.DataGapOffset..]);

    /// <summary>The datagram (may be empty).</summary>
    public ReadOnlySpan<byte> Datagram => _frame[TunnelLayout.DataPayloadOffset..];

    /// <summary>Reads one whole DATA frame. Never throws; <paramref name="value"/> is default unless the result is None.</summary>
    public static TunnelFrameError TryRead(ReadOnlySpan<byte> frame, out TunnelDataFrame value)
    {
        value = default;
        TunnelFrameError error = TunnelLayout.Check(
            frame, TunnelFrameType.Data, HeaderLength, HeaderLength + MaxDatagramLength, 0, hasChannel: true);
        if (error == TunnelFrameError.None)
        {
            value = new TunnelDataFrame(frame);
        }

        return error;
    }
}
