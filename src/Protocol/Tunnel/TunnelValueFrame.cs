using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// ACK, PING or PONG: one u64 after the header (16 bytes). For ACK the value is the next expected reliable sequence
/// number; for PING and PONG an opaque token.
/// </summary>
public readonly struct TunnelValueFrame
{
    /// <summary>Whole frame length.</summary>
    public const int Length = TunnelLayout.ValueFrameLength;

    private TunnelValueFrame(TunnelFrameType type, ulong value)
    {
        Type = type;
        Value = value;
    }

    /// <summary><see cref="TunnelFrameType.Ack"/>, <see cref="TunnelFrameType.Ping"/> or <see cref="TunnelFrameType.Pong"/>.</summary>
    public TunnelFrameType Type { get; }

    /// <summary>The next expected sequence number (ACK) or the token (PING, PONG).</summary>
    public ulong Value { get; }

    /// <summary>Reads one whole ACK, PING or PONG frame. Never throws; <paramref name="value"/> is default unless the result is None.</summary>
    public static TunnelFrameError TryRead(ReadOnlySpan<byte> frame, out TunnelValueFrame value)
    {
        value = default;
        if (frame.Length < TunnelFrameHeader.Length)
        {
            return TunnelFrameError.TooShort;
        }

        var type = (TunnelFrameType)frame[TunnelLayout.TypeOffset];
        if (type is not (TunnelFrameType.Ack or TunnelFrameType.Ping or TunnelFrameType.Pong))
        {
            return TunnelFrameError.WrongType;
        }

        TunnelFrameError error = TunnelLayout.CheckRest(frame, Length, Length, 0, hasChannel: false);
        if (error == TunnelFrameError.None)
        {
            value = new TunnelValueFrame(type, TunnelLayout.ReadU64(frame, TunnelLayout.ValueOffset));
        }

        return error;
    }
}
