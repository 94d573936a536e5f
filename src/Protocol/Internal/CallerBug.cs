using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace FastSpinnRelay.Protocol.Internal;

/// <summary>What a caller got wrong. Never used for wire input: malformed bytes are reported as reason values.</summary>
internal enum CallerBugReason
{
    PortOutOfRange,
    CpuOutOfRange,
    ArgCountOutOfRange,
    SdpPayloadTooLong,
    ScpDataTooLong,
    VersionStringInvalid,
    TimeoutCodeOutOfRange,
    IPv4LengthNot4,
    BootDataTooLong,
    BootDataNotWordMultiple,
    BootImageLengthInvalid,
    BootSequenceFinished,
    DestinationTooSmall,
    DatagramTooShort,
}

/// <summary>
/// Throws for caller bugs (arguments out of range, misuse), away from the hot path: the throwing methods are
/// never inlined, so the callers stay small, and the message is built from a reason enum, not from input bytes.
/// </summary>
internal static class CallerBug
{
    [DoesNotReturn, StackTraceHidden, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ArgumentOutOfRange(string paramName, CallerBugReason reason) =>
        throw new ArgumentOutOfRangeException(paramName, Describe(reason));

    [DoesNotReturn, StackTraceHidden, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Argument(string paramName, CallerBugReason reason) =>
        throw new ArgumentException(Describe(reason), paramName);

    [DoesNotReturn, StackTraceHidden, MethodImpl(MethodImplOptions.NoInlining)]
    public static void InvalidOperation(CallerBugReason reason) =>
        throw new InvalidOperationException(Describe(reason));

    /// <summary>As above, for a requirement stated at the call site as a constant string.</summary>
    [DoesNotReturn, StackTraceHidden, MethodImpl(MethodImplOptions.NoInlining)]
    public static void ArgumentOutOfRange(string paramName, string requirement) =>
        throw new ArgumentOutOfRangeException(paramName, requirement);

    [DoesNotReturn, StackTraceHidden, MethodImpl(MethodImplOptions.NoInlining)]
    public static void Argument(string paramName, string requirement) => throw new ArgumentException(requirement, paramName);

    [DoesNotReturn, StackTraceHidden, MethodImpl(MethodImplOptions.NoInlining)]
    public static void InvalidOperation(string reason) => throw new InvalidOperationException(reason);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string Describe(CallerBugReason reason) => reason switch
    {
        CallerBugReason.PortOutOfRange => "SDP port must be 0..7.",
        CallerBugReason.CpuOutOfRange => "SDP CPU must be 0..31.",
        CallerBugReason.ArgCountOutOfRange => "An SCP message has 0..3 argument words.",
        CallerBugReason.SdpPayloadTooLong => "SDP payload must be at most 272 bytes (282-byte datagram).",
        CallerBugReason.ScpDataTooLong => "SCP data must be at most 256 bytes.",
        CallerBugReason.VersionStringInvalid =>
            "VER name and version must be non-empty, contain no NUL and fit 256 bytes with their terminators.",
        CallerBugReason.TimeoutCodeOutOfRange => "IP tag timeout code must be 0..15.",
        CallerBugReason.IPv4LengthNot4 => "An IPv4 address is exactly 4 bytes.",
        CallerBugReason.BootDataTooLong => "Boot packet data must be at most 1024 bytes.",
        CallerBugReason.BootDataNotWordMultiple => "Boot packet data must be a multiple of 4 bytes.",
        CallerBugReason.BootImageLengthInvalid => "A boot image must be 4..32768 bytes and a multiple of 4.",
        CallerBugReason.BootSequenceFinished => "Every boot packet has already been written.",
        CallerBugReason.DestinationTooSmall => "The destination span is too small.",
        CallerBugReason.DatagramTooShort => "The datagram is too short for this field; read it first.",
        _ => reason.ToString(),
    };
}
