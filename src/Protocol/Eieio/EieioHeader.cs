using System.Buffers.Binary;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// The little-endian 16-bit word that starts every EIEIO packet, data or command. Bits 15–14 = <c>01</c> mark a
/// command (ID in bits 13–0); anything else is a data packet (see <see cref="EieioDataPacket"/>).
/// </summary>
public static class EieioHeader
{
    /// <summary>Size of the header word in bytes.</summary>
    public const int Length = 2;

    /// <summary>True when <paramref name="header"/> is a command header: <c>(header &amp; 0xC000) == 0x4000</c>.</summary>
    public static bool IsCommand(ushort header) => (header & 0xC000) == 0x4000;

    /// <summary>
    /// True when <paramref name="packet"/> is at least 2 bytes long and starts with a command header; use it to
    /// choose between <see cref="EieioCommand.TryRead"/> and <see cref="EieioDataPacket.TryRead"/>.
    /// </summary>
    public static bool IsCommand(ReadOnlySpan<byte> packet) =>
        packet.Length >= Length && IsCommand(BinaryPrimitives.ReadUInt16LittleEndian(packet));
}
