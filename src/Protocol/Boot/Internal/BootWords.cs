using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FastSpinnRelay.Protocol.Boot.Internal;

/// <summary>
/// The boot data word order: the image is little-endian words, the wire carries each word big-endian, so
/// converting either way reverses the bytes of every 32-bit word. Callers pass equal lengths, multiples of 4.
/// </summary>
internal static class BootWords
{
    /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/>, reversing each word.</summary>
    public static void CopyReversed(ReadOnlySpan<byte> source, Span<byte> destination) =>
        BinaryPrimitives.ReverseEndianness(
            MemoryMarshal.Cast<byte, uint>(source), MemoryMarshal.Cast<byte, uint>(destination[..source.Length]));

    /// <summary>True when <paramref name="wire"/> is <paramref name="image"/> with each word reversed.</summary>
    public static bool EqualReversed(ReadOnlySpan<byte> wire, ReadOnlySpan<byte> image)
    {
        if (wire.Length != image.Length)
        {
            return false;
        }

        for (int i = 0; i < wire.Length; i += sizeof(uint))
        {
            if (BinaryPrimitives.ReadUInt32BigEndian(wire[i..]) != BinaryPrimitives.ReadUInt32LittleEndian(image[i..]))
            {
                return false;
            }
        }

        return true;
    }
}
