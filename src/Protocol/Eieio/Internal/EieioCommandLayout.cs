using System.Buffers.Binary;

namespace FastSpinnRelay.Protocol.Eieio.Internal;

/// <summary>
/// The command header and the checks every command reader shares:
/// <code>
///  15 14 13 ........................... 0
/// +-----+--------------------------------+
/// | 0 1 |           command ID           |   little-endian u16
/// +-----+--------------------------------+
/// | command-specific body ...            |
/// </code>
/// </summary>
internal static class EieioCommandLayout
{
    public const ushort CommandClass = 0x4000;
    public const int IdMask = 0x3FFF;

    /// <summary>Processor numbers travel as <c>p &lt;&lt; 3</c>, leaving 5 bits: 0–31.</summary>
    public const int ProcessorShift = 3;
    public const int MaxProcessor = 31;

    /// <summary>Request counts travel in 3 bits: at most 7 per packet.</summary>
    public const int RequestCountMask = 7;

    /// <summary>Checks length and command class; on success <paramref name="id"/> is the raw 14-bit ID.</summary>
    public static EieioCommandError TryReadHeader(ReadOnlySpan<byte> source, out ushort id)
    {
        id = 0;
        if (source.Length < EieioHeader.Length)
        {
            return EieioCommandError.TooShort;
        }

        ushort header = BinaryPrimitives.ReadUInt16LittleEndian(source);
        if (!EieioHeader.IsCommand(header))
        {
            return EieioCommandError.NotACommand;
        }

        id = (ushort)(header & IdMask);
        return EieioCommandError.None;
    }

    /// <summary>Checks the header and that it carries <paramref name="expected"/>; on success <paramref name="body"/> follows it.</summary>
    public static EieioCommandError TryReadBody(ReadOnlySpan<byte> source, EieioCommandId expected, out ReadOnlySpan<byte> body)
    {
        body = default;
        EieioCommandError error = TryReadHeader(source, out ushort id);
        if (error != EieioCommandError.None)
        {
            return error;
        }

        if (id != (ushort)expected)
        {
            return EieioCommandError.WrongCommandId;
        }

        body = source[EieioHeader.Length..];
        return EieioCommandError.None;
    }

    /// <summary>None when <paramref name="actual"/> equals <paramref name="expected"/>, else which side is wrong.</summary>
    public static EieioCommandError CheckLength(int actual, int expected) =>
        actual == expected ? EieioCommandError.None
        : actual < expected ? EieioCommandError.BodyTooShort
        : EieioCommandError.TrailingBytes;

    /// <summary>
    /// Offset of the first entry in commands 8 and 9: entries are fixed-size records from here on, each starting
    /// with two bytes that are pad (or, in entry 0 of command 8, the processor/count byte and sequence number).
    /// </summary>
    public const int FirstEntryOffset = 4;

    /// <summary>Size of a command with <paramref name="count"/> entries of <paramref name="entryLength"/> bytes, but at least <paramref name="minLength"/>.</summary>
    public static int EntriesLength(int minLength, int entryLength, int count) =>
        Math.Max(minLength, FirstEntryOffset + (count * entryLength));

    /// <summary>
    /// Checks a command made of fixed fields (<paramref name="minLength"/> bytes) followed by as many entries as the
    /// 3-bit count at <paramref name="countOffset"/> says.
    /// </summary>
    public static EieioCommandError TryReadEntries(
        ReadOnlySpan<byte> source, EieioCommandId id, int minLength, int countOffset, int entryLength)
    {
        EieioCommandError error = TryReadBody(source, id, out _);
        if (error != EieioCommandError.None)
        {
            return error;
        }

        return source.Length < minLength
            ? EieioCommandError.BodyTooShort
            : CheckLength(source.Length, EntriesLength(minLength, entryLength, source[countOffset] & RequestCountMask));
    }

    /// <summary>
    /// Writes the header of a <paramref name="length"/>-byte command; false (nothing written) when
    /// <paramref name="destination"/> is shorter than that.
    /// </summary>
    public static bool TryWriteHeader(Span<byte> destination, EieioCommandId id, int length)
    {
        if (destination.Length < length)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)(CommandClass | (ushort)id));
        return true;
    }
}
