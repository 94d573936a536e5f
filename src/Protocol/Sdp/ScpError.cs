namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// Why an SCP datagram, or the command-specific content read from it, is malformed. The text of each member
/// goes to logs and counters.
/// </summary>
public enum ScpError : byte
{
    /// <summary>The datagram is well formed.</summary>
    None = 0,

    /// <summary>Shorter than 14 bytes (pad, SDP header, cmd/rc and seq).</summary>
    TooShort,

    /// <summary>Longer than 282 bytes, the most SC&amp;MP accepts (the board drops such datagrams silently).</summary>
    TooLong,

    /// <summary>Too short for the number of argument words the reader was asked for.</summary>
    ArgumentsMissing,

    /// <summary>More than 256 data bytes follow the argument words the reader was asked for.</summary>
    DataTooLong,

    /// <summary>The reply's return code is not OK, so it carries none of the content asked for.</summary>
    NotOk,

    /// <summary>VER reply: the software name in the data has no NUL terminator.</summary>
    VersionNameNotTerminated,

    /// <summary>VER reply: the version string after the name has no NUL terminator.</summary>
    VersionStringNotTerminated,

    /// <summary>IP tag GET entry: fewer than 32 bytes.</summary>
    IpTagEntryTooShort,
}
