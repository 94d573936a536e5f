namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>SCP return codes (the u16 at UDP offset 10 of a response), docs/protocols.md §4.3.</summary>
public enum ScpResult : ushort
{
    /// <summary>OK: success.</summary>
    Ok = 0x80,

    /// <summary>LEN: bad packet length (the board sends it for requests under 24 bytes after the pad).</summary>
    Len = 0x81,

    /// <summary>SUM: bad checksum.</summary>
    Sum = 0x82,

    /// <summary>CMD: unknown command.</summary>
    Cmd = 0x83,

    /// <summary>ARG: bad argument.</summary>
    Arg = 0x84,

    /// <summary>PORT: bad SDP port.</summary>
    Port = 0x85,

    /// <summary>TIMEOUT: monitor to application core timed out.</summary>
    Timeout = 0x86,

    /// <summary>ROUTE: no P2P route to the chip.</summary>
    Route = 0x87,

    /// <summary>CPU: bad CPU number.</summary>
    Cpu = 0x88,

    /// <summary>DEAD: destination core is dead.</summary>
    Dead = 0x89,

    /// <summary>BUF: no free shared-memory buffers.</summary>
    Buf = 0x8A,

    /// <summary>P2P_NOREPLY: no reply to a P2P open.</summary>
    P2PNoReply = 0x8B,

    /// <summary>P2P_REJECT: P2P open rejected.</summary>
    P2PReject = 0x8C,

    /// <summary>P2P_BUSY: destination busy.</summary>
    P2PBusy = 0x8D,

    /// <summary>P2P_TIMEOUT: destination died during a P2P transfer.</summary>
    P2PTimeout = 0x8E,

    /// <summary>PKT_TX: packet transmission failed.</summary>
    PktTx = 0x8F,
}
