using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// arg1 of an IPTAG request, decoded:
/// <code>
///  bit  31 | 30         | 29      | 28    | 27..24       | 23..16 | 15..8            | 7..0
///       -  | USE_SENDER | REVERSE | STRIP | timeout code | sub-op | port/cpu (rev.)  | tag
/// </code>
/// Every u32 decodes (bit 31 is dropped; an unknown sub-op stays as its number).
/// </summary>
/// <param name="Tag">Tag number (0..15 on a board; NEW ignores it).</param>
/// <param name="Operation">Sub-operation.</param>
/// <param name="PortCpu">SDP port/CPU byte a reverse tag delivers to (<see cref="SdpPortCpu"/>).</param>
/// <param name="TimeoutCode">0 = none, else 10 ms × 2^(code − 1); 0..15.</param>
/// <param name="Strip">Drop the SDP header on output.</param>
/// <param name="Reverse">Reverse tag (host to board).</param>
/// <param name="UseSender">Take IP and UDP port from the socket that sent this request (with arg3 = 0).</param>
public readonly record struct ScpIpTagArg1(
    byte Tag, ScpIpTagOperation Operation, byte PortCpu = 0, byte TimeoutCode = 0,
    bool Strip = false, bool Reverse = false, bool UseSender = false)
{
    /// <summary>arg1 bit 28: STRIP.</summary>
    public const uint StripBit = 1u << 28;

    /// <summary>arg1 bit 29: REVERSE.</summary>
    public const uint ReverseBit = 1u << 29;

    /// <summary>arg1 bit 30: USE_SENDER.</summary>
    public const uint UseSenderBit = 1u << 30;

    /// <summary>Largest timeout code.</summary>
    public const int MaxTimeoutCode = 15;

    /// <summary>Decodes arg1.</summary>
    public static ScpIpTagArg1 Decode(uint arg1) => new(
        (byte)arg1,
        (ScpIpTagOperation)(byte)(arg1 >> 16),
        (byte)(arg1 >> 8),
        (byte)((arg1 >> 24) & MaxTimeoutCode),
        (arg1 & StripBit) != 0,
        (arg1 & ReverseBit) != 0,
        (arg1 & UseSenderBit) != 0);

    /// <summary>Encodes arg1; throws <see cref="ArgumentOutOfRangeException"/> when the timeout code exceeds 15.</summary>
    public uint Encode()
    {
        if (TimeoutCode > MaxTimeoutCode)
        {
            CallerBug.ArgumentOutOfRange(nameof(TimeoutCode), CallerBugReason.TimeoutCodeOutOfRange);
        }

        uint value = Tag | ((uint)PortCpu << 8) | ((uint)(byte)Operation << 16) | ((uint)TimeoutCode << 24);
        if (Strip)
        {
            value |= StripBit;
        }

        if (Reverse)
        {
            value |= ReverseBit;
        }

        if (UseSender)
        {
            value |= UseSenderBit;
        }

        return value;
    }
}
