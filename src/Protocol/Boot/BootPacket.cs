using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Boot.Internal;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Boot;

/// <summary>
/// A zero-copy view of one boot datagram (UDP 54321). No pad, no SDP header; the header is <b>big-endian</b>:
/// <code>
///  offset  0          2          6          10         14         18
///        +----------+----------+----------+----------+----------+-------------------------------+
///        | version  |  opcode  |   op1    |   op2    |   op3    | data 0..1024 bytes            |
///        | u16 = 1  |   u32    |   u32    |   u32    |   u32    | image words, each byte-reversed|
///        +----------+----------+----------+----------+----------+-------------------------------+
/// </code>
/// The data is kept as it is on the wire (<see cref="WireData"/>); <see cref="CopyImageDataTo"/> undoes the
/// word reversal, and <see cref="TryWrite"/> takes image-order data and applies it.
/// </summary>
public readonly ref struct BootPacket
{
    /// <summary>Header bytes before the data.</summary>
    public const int HeaderLength = 18;

    /// <summary>Most data bytes in one packet (one 1 KiB block).</summary>
    public const int MaxDataLength = 1024;

    /// <summary>Longest boot datagram: 1042 bytes.</summary>
    public const int MaxLength = HeaderLength + MaxDataLength;

    /// <summary>The only protocol version.</summary>
    public const ushort ProtocolVersion = 1;

    private const int OpcodeOffset = 2;
    private const int Operand1Offset = 6;
    private const int Operand2Offset = 10;
    private const int Operand3Offset = 14;

    private BootPacket(BootOpcode opcode, uint operand1, uint operand2, uint operand3, ReadOnlySpan<byte> wireData)
    {
        Opcode = opcode;
        Operand1 = operand1;
        Operand2 = operand2;
        Operand3 = operand3;
        WireData = wireData;
    }

    /// <summary>The opcode; a value outside <see cref="BootOpcode"/> is kept as sent.</summary>
    public BootOpcode Opcode { get; }

    /// <summary>Operand 1 (BLOCK: <c>(words − 1) &lt;&lt; 8 | index</c>; END: 1).</summary>
    public uint Operand1 { get; }

    /// <summary>Operand 2 (always 0 in practice).</summary>
    public uint Operand2 { get; }

    /// <summary>Operand 3 (START: number of blocks − 1).</summary>
    public uint Operand3 { get; }

    /// <summary>The data exactly as on the wire (each image word byte-reversed), a slice of the input.</summary>
    public ReadOnlySpan<byte> WireData { get; }

    /// <summary>
    /// Reads a whole datagram. Checks, in order: at least 18 bytes, at most 1042, version 1, whole words.
    /// The opcode is not checked (see <see cref="BootImageAssembler"/>). Never throws, never allocates.
    /// </summary>
    public static BootError TryRead(ReadOnlySpan<byte> source, out BootPacket packet)
    {
        packet = default;
        if (source.Length < HeaderLength)
        {
            return BootError.TooShort;
        }

        if (source.Length > MaxLength)
        {
            return BootError.TooLong;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(source) != ProtocolVersion)
        {
            return BootError.BadVersion;
        }

        if ((source.Length - HeaderLength) % sizeof(uint) != 0)
        {
            return BootError.DataNotWordMultiple;
        }

        packet = new BootPacket(
            (BootOpcode)BinaryPrimitives.ReadUInt32BigEndian(source[OpcodeOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[Operand1Offset..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[Operand2Offset..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[Operand3Offset..]),
            source[HeaderLength..]);
        return BootError.None;
    }

    /// <summary>
    /// Writes the data in image order (word reversal undone) and returns the byte count; throws
    /// <see cref="ArgumentException"/> when <paramref name="destination"/> is shorter than <see cref="WireData"/>.
    /// </summary>
    public int CopyImageDataTo(Span<byte> destination)
    {
        if (destination.Length < WireData.Length)
        {
            CallerBug.Argument(nameof(destination), CallerBugReason.DestinationTooSmall);
        }

        BootWords.CopyReversed(WireData, destination);
        return WireData.Length;
    }

    /// <summary>
    /// Writes a boot packet; <paramref name="imageData"/> is in image order (little-endian words) and is sent
    /// word-reversed. Returns false when <paramref name="destination"/> is too small. Throws
    /// <see cref="ArgumentException"/> when the data exceeds 1024 bytes or is not a multiple of 4.
    /// </summary>
    public static bool TryWrite(
        Span<byte> destination, BootOpcode opcode, uint operand1, uint operand2, uint operand3,
        ReadOnlySpan<byte> imageData, out int bytesWritten)
    {
        if (imageData.Length > MaxDataLength)
        {
            CallerBug.Argument(nameof(imageData), CallerBugReason.BootDataTooLong);
        }

        if (imageData.Length % sizeof(uint) != 0)
        {
            CallerBug.Argument(nameof(imageData), CallerBugReason.BootDataNotWordMultiple);
        }

        int length = HeaderLength + imageData.Length;
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, ProtocolVersion);
        BinaryPrimitives.WriteUInt32BigEndian(destination[OpcodeOffset..], (uint)opcode);
        BinaryPrimitives.WriteUInt32BigEndian(destination[Operand1Offset..], operand1);
        BinaryPrimitives.WriteUInt32BigEndian(destination[Operand2Offset..], operand2);
        BinaryPrimitives.WriteUInt32BigEndian(destination[Operand3Offset..], operand3);
        BootWords.CopyReversed(imageData, destination[HeaderLength..]);
        bytesWritten = length;
        return true;
    }
}
