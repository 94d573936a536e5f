using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// A zero-copy view of an SCP request or response: SDP header, cmd/rc, seq, 0..3 argument words, data.
/// Requests and responses share this layout (see <see cref="ScpHeader"/> for the diagram).
/// </summary>
/// <remarks>
/// The number of argument words is not on the wire; it depends on the command (READ replies have none, VER
/// replies three, IPTAG GET replies put their entries where arg1 would be). So there are two ways in:
/// <list type="bullet">
/// <item><see cref="ScpHeader.TryRead"/>: cmd/rc and seq only, for a relay that matches replies to requests.</item>
/// <item><see cref="TryRead"/> with an argument count: a consumer that knows the command gets the args and the
/// data after them.</item>
/// </list>
/// </remarks>
public readonly ref struct ScpMessage
{
    /// <summary>Shortest SCP datagram: pad, SDP header, cmd/rc, seq. Also the length of an error reply.</summary>
    public const int MinLength = ScpHeader.ArgsOffset;

    /// <summary>Most argument words an SCP message carries.</summary>
    public const int MaxArgCount = 3;

    /// <summary>Most data bytes after the argument words (the board's SDP buffer size).</summary>
    public const int MaxDataLength = 256;

    /// <summary>
    /// Shortest request SC&amp;MP processes: all three argument words present (even if unused). It answers
    /// shorter requests with <see cref="ScpResult.Len"/>.
    /// </summary>
    public const int MinBoardRequestLength = MinLength + (MaxArgCount * ArgLength);

    private const int ArgLength = 4;

    private readonly uint _arg1;
    private readonly uint _arg2;
    private readonly uint _arg3;

    private ScpMessage(
        SdpHeader header, ScpHeader scp, int argCount, uint arg1, uint arg2, uint arg3, ReadOnlySpan<byte> data)
    {
        Header = header;
        Scp = scp;
        ArgCount = argCount;
        _arg1 = arg1;
        _arg2 = arg2;
        _arg3 = arg3;
        Data = data;
    }

    /// <summary>The SDP header.</summary>
    public SdpHeader Header { get; }

    /// <summary>cmd/rc and seq.</summary>
    public ScpHeader Scp { get; }

    /// <summary>The code as a command (meaningful on a request).</summary>
    public ScpCommand Command => Scp.Command;

    /// <summary>The code as a return code (meaningful on a response).</summary>
    public ScpResult Result => Scp.Result;

    /// <summary>The sequence number.</summary>
    public ushort Sequence => Scp.Sequence;

    /// <summary>How many argument words were read (what the reader was asked for).</summary>
    public int ArgCount { get; }

    /// <summary>First argument word; 0 when <see cref="ArgCount"/> is 0.</summary>
    public uint Arg1 => _arg1;

    /// <summary>Second argument word; 0 when <see cref="ArgCount"/> &lt; 2.</summary>
    public uint Arg2 => _arg2;

    /// <summary>Third argument word; 0 when <see cref="ArgCount"/> &lt; 3.</summary>
    public uint Arg3 => _arg3;

    /// <summary>The bytes after the argument words (0..256), a slice of the input.</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>
    /// Reads a whole datagram as an SCP message with <paramref name="argCount"/> argument words (0..3; anything
    /// else is a caller bug and throws <see cref="ArgumentOutOfRangeException"/>). Never throws on wire input,
    /// never allocates. Checks, in order: at least 14 bytes, at most 282, room for the args, data ≤ 256.
    /// </summary>
    public static ScpError TryRead(ReadOnlySpan<byte> datagram, int argCount, out ScpMessage message)
    {
        if ((uint)argCount > MaxArgCount)
        {
            CallerBug.ArgumentOutOfRange(nameof(argCount), CallerBugReason.ArgCountOutOfRange);
        }

        message = default;
        ScpError error = ScpHeader.CheckLength(datagram.Length);
        if (error != ScpError.None)
        {
            return error;
        }

        int dataOffset = MinLength + (argCount * ArgLength);
        if (datagram.Length < dataOffset)
        {
            return ScpError.ArgumentsMissing;
        }

        if (datagram.Length - dataOffset > MaxDataLength)
        {
            return ScpError.DataTooLong;
        }

        ReadOnlySpan<byte> args = datagram[MinLength..dataOffset];
        message = new ScpMessage(
            SdpHeader.Read(datagram),
            ScpHeader.Read(datagram),
            argCount,
            argCount > 0 ? BinaryPrimitives.ReadUInt32LittleEndian(args) : 0,
            argCount > 1 ? BinaryPrimitives.ReadUInt32LittleEndian(args[ArgLength..]) : 0,
            argCount > 2 ? BinaryPrimitives.ReadUInt32LittleEndian(args[(2 * ArgLength)..]) : 0,
            datagram[dataOffset..]);
        return ScpError.None;
    }

    /// <summary>
    /// Writes a request. See <see cref="TryWrite"/>; e.g.
    /// <c>TryWriteRequest(buf, SdpHeader.ScpRequest(0, 0, 0), ScpCommand.Ver, seq, [0, 0, 0], [], out n)</c>.
    /// </summary>
    public static bool TryWriteRequest(
        Span<byte> destination, in SdpHeader header, ScpCommand command, ushort sequence,
        ReadOnlySpan<uint> args, ReadOnlySpan<byte> data, out int bytesWritten) =>
        TryWrite(destination, header, (ushort)command, sequence, args, data, out bytesWritten);

    /// <summary>
    /// Writes a response; an error reply is <c>TryWriteResponse(buf, request.Header.ToReply(), ScpResult.Arg,
    /// request.Sequence, [], [], out n)</c> (14 bytes). See <see cref="TryWrite"/>.
    /// </summary>
    public static bool TryWriteResponse(
        Span<byte> destination, in SdpHeader header, ScpResult result, ushort sequence,
        ReadOnlySpan<uint> args, ReadOnlySpan<byte> data, out int bytesWritten) =>
        TryWrite(destination, header, (ushort)result, sequence, args, data, out bytesWritten);

    /// <summary>
    /// Writes pad, SDP header, cmd/rc, seq, the argument words and the data. Returns false when
    /// <paramref name="destination"/> is too small. Throws <see cref="ArgumentOutOfRangeException"/> for more
    /// than 3 args or more than 256 data bytes.
    /// </summary>
    public static bool TryWrite(
        Span<byte> destination, in SdpHeader header, ushort commandOrResult, ushort sequence,
        ReadOnlySpan<uint> args, ReadOnlySpan<byte> data, out int bytesWritten)
    {
        if (args.Length > MaxArgCount)
        {
            CallerBug.ArgumentOutOfRange(nameof(args), CallerBugReason.ArgCountOutOfRange);
        }

        if (data.Length > MaxDataLength)
        {
            CallerBug.ArgumentOutOfRange(nameof(data), CallerBugReason.ScpDataTooLong);
        }

        int dataOffset = MinLength + (args.Length * ArgLength);
        int length = dataOffset + data.Length;
        if (destination.Length < length)
        {
            bytesWritten = 0;
            return false;
        }

        header.Write(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[ScpHeader.CommandOffset..], commandOrResult);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[ScpHeader.SequenceOffset..], sequence);
        for (int i = 0; i < args.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[(MinLength + (i * ArgLength))..], args[i]);
        }

        data.CopyTo(destination[dataOffset..]);
        bytesWritten = length;
        return true;
    }
}
