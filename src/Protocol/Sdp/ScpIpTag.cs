using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>IP tag table facts and the IPTAG argument encodings that are plain values (docs/protocols.md §3, §4.4).</summary>
public static class ScpIpTag
{
    /// <summary>Tags 0..7 are fixed (user-settable; tag 0 is reserved for the host).</summary>
    public const int FixedTagCount = 8;

    /// <summary>Tags 8..15 are the transient pool, one per outstanding reply-wanted request.</summary>
    public const int TransientPoolSize = 8;

    /// <summary>Entries in the board's tag table.</summary>
    public const int TableSize = FixedTagCount + TransientPoolSize;

    /// <summary>Default transient-tag timeout code: 10 ms × 2^(9−1) = 2.56 s.</summary>
    public const int DefaultTransientTimeoutCode = 9;

    /// <summary>
    /// Packs an IPv4 address the way arg3 carries it: the first dotted octet in the least significant byte
    /// (the 4 address bytes in network order read as a little-endian u32). 0 means "the sender's address".
    /// </summary>
    public static uint EncodeIPv4(byte first, byte second, byte third, byte fourth) =>
        first | ((uint)second << 8) | ((uint)third << 16) | ((uint)fourth << 24);

    /// <summary>
    /// Packs 4 address bytes in network order (e.g. from <c>IPAddress.TryWriteBytes</c>); throws
    /// <see cref="ArgumentException"/> unless there are exactly 4.
    /// </summary>
    public static uint EncodeIPv4(ReadOnlySpan<byte> address)
    {
        if (address.Length != 4)
        {
            CallerBug.Argument(nameof(address), CallerBugReason.IPv4LengthNot4);
        }

        return BinaryPrimitives.ReadUInt32LittleEndian(address);
    }

    /// <summary>Writes the 4 address bytes of an arg3-style value in network order; throws when the span is shorter.</summary>
    public static void DecodeIPv4(uint value, Span<byte> destination)
    {
        if (destination.Length < 4)
        {
            CallerBug.Argument(nameof(destination), CallerBugReason.DestinationTooSmall);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, value);
    }

    /// <summary>
    /// arg1 of the reply to TTO: <c>(8 &lt;&lt; 24) | (8 &lt;&lt; 16) | (32 &lt;&lt; 8) | old_code</c> (fixed tags,
    /// pool size, entry size, the timeout code before the change).
    /// </summary>
    public static uint TimeoutReplyArg1(byte oldTimeoutCode) =>
        ((uint)FixedTagCount << 24) | ((uint)TransientPoolSize << 16) | ((uint)ScpIpTagEntry.Length << 8) | oldTimeoutCode;
}
