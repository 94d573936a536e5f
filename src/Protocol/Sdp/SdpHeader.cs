namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// The 8-byte SDP header. On the wire the chip addresses are little-endian u16s of <c>(x &lt;&lt; 8) | y</c>,
/// so <b>y comes before x</b>:
/// <code>
///  UDP offset  0   1   2       3     4          5          6       7       8       9
///            +---+---+-------+-----+----------+----------+-------+-------+-------+-------+
///            |  pad  | flags | tag | dest p/c | src p/c  | dst y | dst x | src y | src x |
///            +---+---+-------+-----+----------+----------+-------+-------+-------+-------+
/// </code>
/// Port/CPU bytes are built with <see cref="SdpPortCpu"/>.
/// </summary>
/// <param name="Flags">0x07 no reply, 0x87 reply wanted (<see cref="SdpConstants.ReplyFlag"/>); 0x20 don't P2P-route.</param>
/// <param name="Tag">IP tag; <see cref="SdpConstants.TagNone"/> from the host.</param>
/// <param name="DestPortCpu">Destination port/CPU byte.</param>
/// <param name="SrcPortCpu">Source port/CPU byte; the host sends <see cref="SdpConstants.PortCpuEthernet"/>.</param>
/// <param name="DestX">Destination chip x.</param>
/// <param name="DestY">Destination chip y.</param>
/// <param name="SrcX">Source chip x.</param>
/// <param name="SrcY">Source chip y.</param>
public readonly record struct SdpHeader(
    byte Flags, byte Tag, byte DestPortCpu, byte SrcPortCpu, byte DestX, byte DestY, byte SrcX, byte SrcY)
{
    internal const int FlagsOffset = 2;
    internal const int TagOffset = 3;
    internal const int DestPortCpuOffset = 4;
    internal const int SrcPortCpuOffset = 5;
    internal const int DestYOffset = 6;
    internal const int DestXOffset = 7;
    internal const int SrcYOffset = 8;
    internal const int SrcXOffset = 9;

    /// <summary>True when the sender asked for a reply (flags bit 0x80).</summary>
    public bool ReplyWanted => (Flags & SdpConstants.ReplyFlag) != 0;

    /// <summary>Destination chip as the board's P2P address <c>(x &lt;&lt; 8) | y</c>.</summary>
    public ushort DestAddress => (ushort)((DestX << 8) | DestY);

    /// <summary>Source chip as the board's P2P address <c>(x &lt;&lt; 8) | y</c>.</summary>
    public ushort SrcAddress => (ushort)((SrcX << 8) | SrcY);

    /// <summary>
    /// The header a host puts on an SCP request to core <paramref name="cpu"/> of chip (x, y): flags 0x87
    /// (or 0x07), tag none, destination port 0, source Ethernet, source chip (0, 0).
    /// </summary>
    public static SdpHeader ScpRequest(byte x, byte y, int cpu, bool replyWanted = true) => new(
        replyWanted ? SdpConstants.FlagsReply : SdpConstants.FlagsNoReply,
        SdpConstants.TagNone,
        SdpPortCpu.Encode(0, cpu),
        SdpConstants.PortCpuEthernet,
        x, y, 0, 0);

    /// <summary>
    /// The header the board puts on its reply to this request: reply bit cleared, source and destination
    /// port/CPU and chip swapped, tag unchanged. (A real board has by then replaced tag 0xFF with the transient
    /// tag it allocated; an emulator that models that sets <see cref="Tag"/> with a <c>with</c> expression.)
    /// </summary>
    public SdpHeader ToReply() => new(
        (byte)(Flags & ~SdpConstants.ReplyFlag), Tag, SrcPortCpu, DestPortCpu, SrcX, SrcY, DestX, DestY);

    /// <summary>Reads the header from a datagram that starts with the pad; the caller checked the length.</summary>
    internal static SdpHeader Read(ReadOnlySpan<byte> datagram)
    {
        ReadOnlySpan<byte> h = datagram[..SdpConstants.UdpHeaderLength];
        return new SdpHeader(
            h[FlagsOffset], h[TagOffset], h[DestPortCpuOffset], h[SrcPortCpuOffset],
            DestX: h[DestXOffset], DestY: h[DestYOffset], SrcX: h[SrcXOffset], SrcY: h[SrcYOffset]);
    }

    /// <summary>Writes zero pad and header into the first 10 bytes; the caller checked the length.</summary>
    internal void Write(Span<byte> datagram)
    {
        Span<byte> h = datagram[..SdpConstants.UdpHeaderLength];
        h[0] = 0;
        h[1] = 0;
        h[FlagsOffset] = Flags;
        h[TagOffset] = Tag;
        h[DestPortCpuOffset] = DestPortCpu;
        h[SrcPortCpuOffset] = SrcPortCpu;
        h[DestYOffset] = DestY;
        h[DestXOffset] = DestX;
        h[SrcYOffset] = SrcY;
        h[SrcXOffset] = SrcX;
    }
}
