using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// The first 4 bytes of an SCP payload, shared by requests and responses: what a relay needs to match a reply
/// to its request without knowing the command's argument count.
/// <code>
///  UDP offset  10        12        14      18      22      26
///            +---------+---------+-------+-------+-------+-------------+
///            | cmd/rc  |   seq   | arg1? | arg2? | arg3? | data ≤ 256  |   all little-endian
///            +---------+---------+-------+-------+-------+-------------+
/// </code>
/// </summary>
/// <param name="CommandOrResult">Request: the <see cref="ScpCommand"/>; response: the <see cref="ScpResult"/>.</param>
/// <param name="Sequence">Sequence number; the board echoes it unchanged and never uses it itself.</param>
public readonly record struct ScpHeader(ushort CommandOrResult, ushort Sequence)
{
    internal const int CommandOffset = SdpConstants.UdpHeaderLength;
    internal const int SequenceOffset = CommandOffset + 2;

    /// <summary>The first byte after cmd/rc and seq: UDP offset 14.</summary>
    internal const int ArgsOffset = SequenceOffset + 2;

    /// <summary>The code as a command (meaningful on a request).</summary>
    public ScpCommand Command => (ScpCommand)CommandOrResult;

    /// <summary>The code as a return code (meaningful on a response).</summary>
    public ScpResult Result => (ScpResult)CommandOrResult;

    /// <summary>Reads cmd/rc and seq of a whole datagram. Checks the same length limits as <see cref="ScpMessage"/>.</summary>
    public static ScpError TryRead(ReadOnlySpan<byte> datagram, out ScpHeader header)
    {
        ScpError error = CheckLength(datagram.Length);
        header = error == ScpError.None ? Read(datagram) : default;
        return error;
    }

    /// <summary>
    /// Overwrites the sequence number of a datagram in place (a relay renumbering requests). Throws
    /// <see cref="ArgumentException"/> when the datagram is shorter than 14 bytes: read it first.
    /// </summary>
    public static void WriteSequence(Span<byte> datagram, ushort sequence)
    {
        if (datagram.Length < ScpMessage.MinLength)
        {
            CallerBug.Argument(nameof(datagram), CallerBugReason.DatagramTooShort);
        }

        BinaryPrimitives.WriteUInt16LittleEndian(datagram[SequenceOffset..], sequence);
    }

    /// <summary>The framing rule every SCP reader starts with: 14..282 bytes.</summary>
    internal static ScpError CheckLength(int length) =>
        length < ScpMessage.MinLength ? ScpError.TooShort
        : length > SdpConstants.MaxDatagramLength ? ScpError.TooLong
        : ScpError.None;

    internal static ScpHeader Read(ReadOnlySpan<byte> datagram) => new(
        BinaryPrimitives.ReadUInt16LittleEndian(datagram[CommandOffset..]),
        BinaryPrimitives.ReadUInt16LittleEndian(datagram[SequenceOffset..]));
}
