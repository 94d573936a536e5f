using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// WELCOME, the end of the handshake: the session id and the server's next expected reliable sequence number (32
/// bytes in all); flag bit 0 says the session was resumed. A zero-copy view of the frame.
/// </summary>
public readonly ref struct TunnelWelcome
{
    /// <summary>Whole frame length.</summary>
    public const int Length = TunnelLayout.WelcomeLength;

    private readonly ReadOnlySpan<byte> _frame;

    private TunnelWelcome(ReadOnlySpan<byte> frame) => _frame = frame;

    /// <summary>The session this connection now carries.</summary>
    public ReadOnlySpan<byte> SessionId => _frame.Slice(TunnelLayout.WelcomeSessionIdOffset, TunnelLayout.SessionIdLength);

    /// <summary>The next reliable sequence number the server expects from the client.</summary>
    public ulong NextExpected => TunnelLayout.ReadU64(_frame, TunnelLayout.WelcomeNextExpectedOffset);

    /// <summary>True when the session named in AUTH was resumed; false when a new one was started.</summary>
    public bool Resumed => (_frame[TunnelLayout.FlagsOffset] & TunnelLayout.WelcomeResumedFlag) != 0;

    /// <summary>Reads one whole WELCOME frame. Never throws; <paramref name="value"/> is default unless the result is None.</summary>
    public static TunnelFrameError TryRead(ReadOnlySpan<byte> frame, out TunnelWelcome value)
    {
        value = default;
        TunnelFrameError error = TunnelLayout.Check(
            frame, TunnelFrameType.Welcome, Length, Length, TunnelLayout.WelcomeResumedFlag, hasChannel: false);
        if (error == TunnelFrameError.None)
        {
            value = new TunnelWelcome(frame);
        }

        return error;
    }
}
