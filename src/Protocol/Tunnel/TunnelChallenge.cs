using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// CHALLENGE, the server's answer to HELLO: the chosen version, the auth method, the server's feature bits, a fresh
/// 32-byte nonce and the server's 32-byte proof (76 bytes in all). A zero-copy view of the frame.
/// </summary>
public readonly ref struct TunnelChallenge
{
    /// <summary>Whole frame length.</summary>
    public const int Length = TunnelLayout.ChallengeLength;

    /// <summary>Bytes of the body that the server's proof covers (everything before the proof).</summary>
    public const int ProvenBodyLength = TunnelLayout.ChallengeProofOffset - TunnelFrameHeader.Length;

    private readonly ReadOnlySpan<byte> _frame;

    private TunnelChallenge(ReadOnlySpan<byte> frame) => _frame = frame;

    /// <summary>The version both sides now speak.</summary>
    public byte Version => _frame[TunnelLayout.ChallengeVersionOffset];

    /// <summary>The auth method the server accepted.</summary>
    public TunnelAuthMethod AuthMethod => (TunnelAuthMethod)_frame[TunnelLayout.ChallengeAuthMethodOffset];

    /// <summary>The server's feature bits.</summary>
    public TunnelFeatures Features => (TunnelFeatures)_frame[TunnelLayout.ChallengeFeaturesOffset];

    /// <summary>The server's 32-byte nonce.</summary>
    public ReadOnlySpan<byte> ServerNonce => _frame.Slice(TunnelLayout.ChallengeNonceOffset, TunnelLayout.NonceLength);

    /// <summary>The server's 32-byte proof (zeros with <see cref="TunnelAuthMethod.ClientCertificate"/>).</summary>
    public ReadOnlySpan<byte> ServerProof => _frame.Slice(TunnelLayout.ChallengeProofOffset, TunnelLayout.ProofLength);

    /// <summary>The whole 68-byte body, as it enters the client's proof.</summary>
    public ReadOnlySpan<byte> Body => _frame[TunnelFrameHeader.Length..];

    /// <summary>Reads one whole CHALLENGE frame. Never throws; <paramref name="value"/> is default unless the result is None.</summary>
    public static TunnelFrameError TryRead(ReadOnlySpan<byte> frame, out TunnelChallenge value)
    {
        value = default;
        TunnelFrameError error = TunnelLayout.Check(frame, TunnelFrameType.Challenge, Length, Length, 0, hasChannel: false);
        if (error != TunnelFrameError.None)
        {
            return error;
        }

        if (frame[TunnelLayout.ChallengeReservedOffset] != 0)
        {
            return TunnelFrameError.ReservedBitsSet;
        }

        if (frame[TunnelLayout.ChallengeVersionOffset] == 0 || !TunnelFrameChecks.IsAuthMethod(frame[TunnelLayout.ChallengeAuthMethodOffset]))
        {
            return TunnelFrameError.BadValue;
        }

        value = new TunnelChallenge(frame);
        return TunnelFrameError.None;
    }
}
