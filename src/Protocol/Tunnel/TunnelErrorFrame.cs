using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// ERROR, sent before closing a connection: a <see cref="TunnelErrorCode"/> and 0–120 bytes of printable ASCII for a
/// human. The text is untrusted: escape it before logging (it is already restricted to 0x20–0x7E).
/// </summary>
public readonly ref struct TunnelErrorFrame
{
    /// <summary>Shortest frame (no text).</summary>
    public const int MinLength = TunnelLayout.ErrorTextOffset;

    /// <summary>Longest text in bytes.</summary>
    public const int MaxTextLength = TunnelLayout.MaxErrorTextLength;

    private TunnelErrorFrame(TunnelErrorCode code, ReadOnlySpan<byte> text)
    {
        Code = code;
        Text = text;
    }

    /// <summary>The code; may be a value the enum does not name.</summary>
    public TunnelErrorCode Code { get; }

    /// <summary>The ASCII text (possibly empty).</summary>
    public ReadOnlySpan<byte> Text { get; }

    /// <summary>Reads one whole ERROR frame. Never throws; <paramref name="value"/> is default unless the result is None.</summary>
    public static TunnelFrameError TryRead(ReadOnlySpan<byte> frame, out TunnelErrorFrame value)
    {
        value = default;
        TunnelFrameError error = TunnelLayout.Check(
            frame, TunnelFrameType.Error, MinLength, MinLength + MaxTextLength, 0, hasChannel: false);
        if (error != TunnelFrameError.None)
        {
            return error;
        }

        ReadOnlySpan<byte> text = frame[TunnelLayout.ErrorTextOffset..];
        if (!TunnelFrameChecks.IsPrintableAscii(text))
        {
            return TunnelFrameError.BadValue;
        }

        value = new TunnelErrorFrame((TunnelErrorCode)BinaryPrimitives.ReadUInt16BigEndian(frame[TunnelLayout.ErrorCodeOffset..]), text);
        return TunnelFrameError.None;
    }
}
