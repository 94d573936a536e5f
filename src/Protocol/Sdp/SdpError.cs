namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>Why a UDP datagram on the SDP port is malformed. The text of each member goes to logs and counters.</summary>
public enum SdpError : byte
{
    /// <summary>The datagram is well formed.</summary>
    None = 0,

    /// <summary>Shorter than the 10 bytes of pad and SDP header.</summary>
    TooShort,

    /// <summary>Longer than 282 bytes, the most SC&amp;MP accepts (the board drops such datagrams silently).</summary>
    TooLong,
}
