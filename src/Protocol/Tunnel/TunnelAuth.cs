using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// AUTH, the client's proof: 32-byte proof, the 16-byte session id to resume (all zeros: a new session) and the
/// client's next expected reliable sequence number (64 bytes in all). A zero-copy view of the frame.
/// </summary>
public readonly ref struct TunnelAuth
{
    /// <summary>Whole frame length.</summary>
    public const int Length = TunnelLayout.AuthLength;

    /// <summary>Session id length in bytes.</summary>
    public const int SessionIdLength = TunnelLayout.SessionIdLength;

    private readonly ReadOnlySpan<byte> _frame;

    private TunnelAuth(ReadOnlySpan<byte> frame) => _frame = frame;

    /// <summary>The client's 32-byte proof.</summary>
    public ReadOnlySpan<byte> ClientProof => _frame.Slice(TunnelLayout.AuthProofOffset, TunnelLayout.ProofLength);

    /// <summary>The session to resume; all zeros asks for a new one.</summary>
    public ReadOnlySpan<byte> SessionId => _frame.Slice(TunnelLayout.AuthSessionIdOffset, SessionIdLength);

    /// <summary>The next reliable sequence number the client expects from the server.</summary>
    public ulong NextExpected => TunnelLayout.ReadU64(_frame, TunnelLayout.AuthNextExpectedOffset);

    /// <summary>The body fields after the proof (session id and next expected), as they enter the client's proof.</summary>
    public ReadOnlySpan<byte> ProvenFields => _frame[TunnelLayout.AuthSessionIdOffset..];

    /// <summary>Reads one whole AUTH frame. Never throws; <paramref name="value"/> is default unless the result is None.</summary>
    public static TunnelFrameError TryRead(ReadOnlySpan<byte> frame, out TunnelAuth value)
    {
        value = default;
        TunnelFrameError error = TunnelLayout.Check(frame, TunnelFrameType.Auth, Length, Length, 0, hasChannel: false);
        if (error == TunnelFrameError.None)
        {
            value = new TunnelAuth(frame);
        }

        return error;
    }
}
