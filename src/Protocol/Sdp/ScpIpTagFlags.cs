namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// The flags u16 of an <see cref="ScpIpTagEntry"/>. The low byte holds the tag's timeout in 10 ms ticks
/// (<c>1 &lt;&lt; (code − 1)</c>), so mask with 0xFF00 before comparing flags.
/// </summary>
[Flags]
public enum ScpIpTagFlags : ushort
{
    /// <summary>No flag set.</summary>
    None = 0,

    /// <summary>Strip the SDP header from packets sent through the tag (arg1 bit 28 on SET).</summary>
    Strip = 0x0100,

    /// <summary>Reverse tag: the board listens on the rx port and forwards to a core (arg1 bit 29 on SET).</summary>
    Reverse = 0x0200,

    /// <summary>IP and port were copied from the requesting socket (arg1 bit 30 on SET).</summary>
    UseSender = 0x0400,

    /// <summary>Awaiting ARP resolution.</summary>
    Arp = 0x2000,

    /// <summary>Transient tag (from the pool 8..15, freed after one use).</summary>
    Transient = 0x4000,

    /// <summary>Entry is valid (in use).</summary>
    Valid = 0x8000,
}
