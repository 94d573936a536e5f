namespace FastSpinnRelay.Protocol.Boot;

/// <summary>
/// Limits of a boot image (docs/protocols.md §5.2): at most 32 KiB (the boot core's DTCM), a multiple of 4
/// bytes, sent as at most 32 blocks of 1 KiB, all full except the last.
/// </summary>
public static class BootImage
{
    /// <summary>Bytes per block (one BLOCK packet's data).</summary>
    public const int BlockLength = BootPacket.MaxDataLength;

    /// <summary>Most blocks in an image.</summary>
    public const int MaxBlocks = 32;

    /// <summary>Longest image: 32,768 bytes.</summary>
    public const int MaxLength = MaxBlocks * BlockLength;

    /// <summary>True for 4..32768 bytes in whole words.</summary>
    public static bool IsValidLength(int length) => length > 0 && length <= MaxLength && length % sizeof(uint) == 0;

    /// <summary>Blocks an image of <paramref name="length"/> bytes needs (27,168 → 27; 29,868 → 30).</summary>
    public static int BlockCount(int length) => (length + BlockLength - 1) / BlockLength;
}
