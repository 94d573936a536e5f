using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>What handling one received frame decided: carry on, or end the connection with a reason, a code to send and a detail to log.</summary>
internal readonly record struct FrameOutcome(TunnelCloseReason Reason, TunnelErrorCode Code, string? Detail)
{
    public static FrameOutcome Continue => default;

    public bool IsContinue => Reason == TunnelCloseReason.None;

    public static FrameOutcome Malformed(TunnelFrameType type, TunnelFrameError error) =>
        new(TunnelCloseReason.ProtocolViolation, TunnelErrorCode.ProtocolViolation, $"malformed {Name(type)} frame ({error})");

    public static FrameOutcome Violation(string detail) => new(TunnelCloseReason.ProtocolViolation, TunnelErrorCode.ProtocolViolation, detail);

    public static string Name(TunnelFrameType type) =>
        Enum.IsDefined(type) ? type.ToString().ToUpperInvariant() : $"type 0x{(byte)type:x2}";
}
