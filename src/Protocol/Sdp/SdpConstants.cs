namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>Sizes and byte values of SDP over UDP (port 17893), see docs/protocols.md §3.</summary>
public static class SdpConstants
{
    /// <summary>Zero bytes before the SDP header; they word-align the SCP fields on the board. Ignored on receipt.</summary>
    public const int PadLength = 2;

    /// <summary>The SDP header proper: flags, tag, two port/CPU bytes, two chip addresses.</summary>
    public const int HeaderLength = 8;

    /// <summary>Pad plus SDP header: where the SDP payload (for SCP: cmd/rc) starts in a UDP datagram.</summary>
    public const int UdpHeaderLength = PadLength + HeaderLength;

    /// <summary>
    /// Longest datagram SC&amp;MP accepts on 17893 (pad + 8 + 16 + 256); it drops longer ones silently.
    /// Also the longest possible SCP request.
    /// </summary>
    public const int MaxDatagramLength = 282;

    /// <summary>Longest SDP payload (everything after the pad and header) in an accepted datagram: 272 bytes.</summary>
    public const int MaxPayloadLength = MaxDatagramLength - UdpHeaderLength;

    /// <summary>Flags of a request that wants no reply.</summary>
    public const byte FlagsNoReply = 0x07;

    /// <summary>Flags of a request that wants a reply (<see cref="ReplyFlag"/> set).</summary>
    public const byte FlagsReply = 0x87;

    /// <summary>Flags bit: the sender wants a reply. The board clears it in the reply.</summary>
    public const byte ReplyFlag = 0x80;

    /// <summary>Tag value "none": on a host request with the reply bit, the board allocates a transient tag.</summary>
    public const byte TagNone = 0xFF;

    /// <summary>Port/CPU byte meaning "Ethernet / the host" (port 7, CPU 31).</summary>
    public const byte PortCpuEthernet = 0xFF;

    /// <summary>Chip coordinate value the board rewrites to its root chip when both x and y carry it.</summary>
    public const byte DefaultChipCoordinate = 0xFF;
}
