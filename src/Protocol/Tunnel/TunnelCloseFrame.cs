using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>CLOSE (reliable): closes <see cref="Channel"/> with a code (0: normal). 18 bytes.</summary>
public readonly ref struct TunnelCloseFrame
{
    /// <summary>Whole frame length.</summary>
    public const int Length = TunnelLayout.CloseLength;

    private readonly ReadOnlySpan<byte> _frame;

    private TunnelCloseFrame(ReadOnlySpan<byte> frame) => _frame = frame;

    /// <summary>The channel being closed.</summary>
    public ushort Channel => BinaryPrimitives.ReadUInt16BigEndian(_frame[TunnelLayout.ChannelOffset..]);

    /// <summary>Reliable sequence number.</summary>
    public ulong Sequence => TunnelLayout.ReadU64(_frame, TunnelLayout.SequenceOffset);

    /// <summary>Why; may be a value the enum does not name.</summary>
    public TunnelErrorCode Code => (TunnelErrorCode)BinaryPrimitives.ReadUInt16BigEndian(_frame[TunnelLayout.CloseCodeOffset..]);

    /// <summary>Reads one whole CLOSE frame. Never throws; <paramref name="value"/> is default unless the result is None.</summary>
    public static TunnelFrameError TryRead(ReadOnlySpan<byte> frame, out TunnelCloseFrame value)
    {
        value = default;
        TunnelFrameError error = TunnelLayout.Check(frame, TunnelFrameType.Close, Length, Length, 0, hasChannel: true);
        if (error == TunnelFrameError.None)
        {
            value = new TunnelCloseFrame(frame);
        }

        return error;
    }
}
