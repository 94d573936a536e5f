using System.Buffers.Binary;

namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// One 32-byte IP tag table entry as IPTAG GET returns it (entries start right after rc/seq, no args).
/// Multi-byte fields are little-endian:
/// <code>
///  0 ip[4] | 4 mac[6] | 10 tx_port u16 | 12 timeout u16 | 14 flags u16 | 16 count u32 | 20 rx_port u16
///  22 dest_addr u16 | 24 dest_port/cpu u8 | 25..31 zero padding
/// </code>
/// </summary>
/// <param name="IPv4">Host address, first octet in the least significant byte (as arg3, <see cref="ScpIpTag.EncodeIPv4(byte, byte, byte, byte)"/>).</param>
/// <param name="Mac">Host MAC, first byte in the least significant byte (48 bits used).</param>
/// <param name="TxPort">Host UDP port packets are sent to.</param>
/// <param name="Timeout">Transmit timeout in 10 ms ticks.</param>
/// <param name="Flags">Flags; the low byte repeats the timeout.</param>
/// <param name="Count">Packets sent through the tag.</param>
/// <param name="RxPort">Board UDP port of a reverse tag.</param>
/// <param name="DestAddress">Reverse tag destination chip, <c>(x &lt;&lt; 8) | y</c>.</param>
/// <param name="DestPortCpu">Reverse tag destination port/CPU byte.</param>
public readonly record struct ScpIpTagEntry(
    uint IPv4, ulong Mac, ushort TxPort, ushort Timeout, ScpIpTagFlags Flags, uint Count,
    ushort RxPort, ushort DestAddress, byte DestPortCpu)
{
    /// <summary>Bytes per entry.</summary>
    public const int Length = 32;

    /// <summary>Most entries one GET reply can carry (256 / 32).</summary>
    public const int MaxPerReply = ScpMessage.MaxDataLength / Length;

    private const int MacOffset = 4;
    private const int MacLength = 6;
    private const int TxPortOffset = 10;
    private const int TimeoutOffset = 12;
    private const int FlagsOffset = 14;
    private const int CountOffset = 16;
    private const int RxPortOffset = 20;
    private const int DestAddressOffset = 22;
    private const int DestPortOffset = 24;
    private const int PaddingOffset = 25;

    /// <summary>True when <see cref="ScpIpTagFlags.Valid"/> is set.</summary>
    public bool IsValid => (Flags & ScpIpTagFlags.Valid) != 0;

    /// <summary>
    /// Reads the entry in the first 32 bytes of <paramref name="source"/> (entry i of a GET reply is at
    /// <c>reply.Data[(i * 32)..]</c> of an <see cref="ScpMessage"/> read with 0 args). Padding is not checked.
    /// </summary>
    public static ScpError TryRead(ReadOnlySpan<byte> source, out ScpIpTagEntry entry)
    {
        if (source.Length < Length)
        {
            entry = default;
            return ScpError.IpTagEntryTooShort;
        }

        ReadOnlySpan<byte> e = source[..Length];
        ulong mac = 0;
        for (int i = MacLength - 1; i >= 0; i--)
        {
            mac = (mac << 8) | e[MacOffset + i];
        }

        entry = new ScpIpTagEntry(
            BinaryPrimitives.ReadUInt32LittleEndian(e),
            mac,
            BinaryPrimitives.ReadUInt16LittleEndian(e[TxPortOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(e[TimeoutOffset..]),
            (ScpIpTagFlags)BinaryPrimitives.ReadUInt16LittleEndian(e[FlagsOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(e[CountOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(e[RxPortOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(e[DestAddressOffset..]),
            e[DestPortOffset]);
        return ScpError.None;
    }

    /// <summary>Writes the 32-byte entry (padding zeroed; MAC bits above 48 dropped). False when fewer than 32 bytes fit.</summary>
    public bool TryWrite(Span<byte> destination, out int bytesWritten)
    {
        if (destination.Length < Length)
        {
            bytesWritten = 0;
            return false;
        }

        Span<byte> e = destination[..Length];
        BinaryPrimitives.WriteUInt32LittleEndian(e, IPv4);
        for (int i = 0; i < MacLength; i++)
        {
            e[MacOffset + i] = (byte)(Mac >> (8 * i));
        }

        BinaryPrimitives.WriteUInt16LittleEndian(e[TxPortOffset..], TxPort);
        BinaryPrimitives.WriteUInt16LittleEndian(e[TimeoutOffset..], Timeout);
        BinaryPrimitives.WriteUInt16LittleEndian(e[FlagsOffset..], (ushort)Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(e[CountOffset..], Count);
        BinaryPrimitives.WriteUInt16LittleEndian(e[RxPortOffset..], RxPort);
        BinaryPrimitives.WriteUInt16LittleEndian(e[DestAddressOffset..], DestAddress);
        e[DestPortOffset] = DestPortCpu;
        e[PaddingOffset..].Clear();
        bytesWritten = Length;
        return true;
    }
}
