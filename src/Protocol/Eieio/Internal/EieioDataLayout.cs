namespace FastSpinnRelay.Protocol.Eieio.Internal;

/// <summary>
/// Bit positions and sizes of the EIEIO data header. As a little-endian u16 (byte 0 = count, byte 1 = flags):
/// <code>
///  15  14  13  12  11 10  9  8  7 ............. 0
/// +---+---+---+---+-----+-----+------------------+
/// | P | F | D | T | type| tag |      count       |
/// +---+---+---+---+-----+-----+------------------+
/// | key prefix, u16 LE                 (if P)    |
/// | payload base, u16 (types 0/1) or u32 (2/3)   |   (if D)
/// | count elements of 2 / 4 / 4 / 8 bytes        |
/// +----------------------------------------------+
/// </code>
/// P = prefix present, F = prefix goes into the upper half of the key, D = payload base present,
/// T = payloads are timestamps. P = 0 with F = 1 is a command header, not data.
/// </summary>
internal static class EieioDataLayout
{
    public const int PrefixFlag = 1 << 15;
    public const int UpperHalfFlag = 1 << 14;
    public const int PayloadBaseFlag = 1 << 13;
    public const int TimestampFlag = 1 << 12;
    public const int TypeShift = 10;
    public const int TagShift = 8;
    public const int CountMask = 0xFF;
    public const int PrefixLength = 2;

    /// <summary>Largest element count the 8-bit count field can carry.</summary>
    public const int MaxCount = byte.MaxValue;

    /// <summary>Bytes per element for each <see cref="EieioType"/>: 2, 4, 4, 8.</summary>
    public static int ElementSize(EieioType type) => (Is32Bit(type) ? 4 : 2) * (HasElementPayload(type) ? 2 : 1);

    /// <summary>Bytes of the payload base for each <see cref="EieioType"/>: 2 for 16-bit types, 4 for 32-bit ones.</summary>
    public static int PayloadBaseLength(EieioType type) => Is32Bit(type) ? 4 : 2;

    /// <summary>True for the types with 32-bit keys (2 and 3).</summary>
    public static bool Is32Bit(EieioType type) => ((int)type & 2) != 0;

    /// <summary>True for the types that carry a payload per element (1 and 3).</summary>
    public static bool HasElementPayload(EieioType type) => ((int)type & 1) != 0;
}
