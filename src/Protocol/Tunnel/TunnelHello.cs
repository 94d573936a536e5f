using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// HELLO, the client's first frame: magic "FSRT", the version range it speaks, its auth method, its feature bits and a
/// 32-byte fresh nonce (48 bytes in all). A zero-copy view of the frame it was read from.
/// </summary>
public readonly ref struct TunnelHello
{
    /// <summary>Whole frame length.</summary>
    public const int Length = TunnelLayout.HelloLength;

    /// <summary>Nonce length in bytes.</summary>
    public const int NonceLength = TunnelLayout.NonceLength;

    private readonly ReadOnlySpan<byte> _frame;

    private TunnelHello(ReadOnlySpan<byte> frame) => _frame = frame;

    /// <summary>Lowest version the client speaks (1 or more).</summary>
    public byte MinVersion => _frame[TunnelLayout.HelloMinVersionOffset];

    /// <summary>Highest version the client speaks (at least <see cref="MinVersion"/>).</summary>
    public byte MaxVersion => _frame[TunnelLayout.HelloMaxVersionOffset];

    /// <summary>How the client will prove itself.</summary>
    public TunnelAuthMethod AuthMethod => (TunnelAuthMethod)_frame[TunnelLayout.HelloAuthMethodOffset];

    /// <summary>The client's feature bits (unknown bits kept as sent).</summary>
    public TunnelFeatures Features => (TunnelFeatures)_frame[TunnelLayout.HelloFeaturesOffset];

    /// <summary>The client's 32-byte nonce.</summary>
    public ReadOnlySpan<byte> ClientNonce => _frame.Slice(TunnelLayout.HelloNonceOffset, NonceLength);

    /// <summary>The 40-byte body, as it enters both proofs.</summary>
    public ReadOnlySpan<byte> Body => _frame[TunnelFrameHeader.Length..];

    /// <summary>Reads one whole HELLO frame. Never throws; <paramref name="value"/> is default unless the result is None.</summary>
    public static TunnelFrameError TryRead(ReadOnlySpan<byte> frame, out TunnelHello value)
    {
        value = default;
        TunnelFrameError error = TunnelLayout.Check(frame, TunnelFrameType.Hello, Length, Length, 0, hasChannel: false);
        if (error != TunnelFrameError.None)
        {
            return error;
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(frame[TunnelLayout.HelloMagicOffset..]) != TunnelLayout.Magic)
        {
            return TunnelFrameError.BadMagic;
        }

        byte min = frame[TunnelLayout.HelloMinVersionOffset];
        byte max = frame[TunnelLayout.HelloMaxVersionOffset];
        if (min == 0 || max < min || !TunnelFrameChecks.IsAuthMethod(frame[TunnelLayout.HelloAuthMethodOffset]))
        {
            return TunnelFrameError.BadValue;
        }

        value = new TunnelHello(frame);
        return TunnelFrameError.None;
    }
}
