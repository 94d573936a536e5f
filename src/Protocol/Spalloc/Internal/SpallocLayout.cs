using System.Buffers.Binary;

namespace FastSpinnRelay.Protocol.Spalloc.Internal;

/// <summary>
/// Frame layouts: every field is a little-endian u32 word except the IPv4 address, 4 raw bytes in network order.
/// <code>
///  client → server                                      server → client
///  OPEN          0 | corr | x | y | port       20 B     OPEN reply          0 | corr | channel                    12 B
///  CLOSE         1 | corr | channel            12 B     CLOSE reply         1 | corr | channel (0: was not open)  12 B
///  MSG           2 | channel | payload ...     8+ B     MSG                 2 | channel | payload ...             8+ B
///  OPEN_UNBOUND  3 | corr                       8 B     OPEN_UNBOUND reply  3 | corr | channel | ip[4] | port     20 B
///  MSG_TO        4 | channel | x | y | port | payload ...  20+ B                ERROR   5 | corr | UTF-8 text ...  8+ B
///  byte offset:  0   4         8   12  16   20
/// </code>
/// </summary>
internal static class SpallocLayout
{
    public const int WordLength = 4;
    public const int Word1 = 4;
    public const int Word2 = 8;
    public const int Word3 = 12;
    public const int Word4 = 16;

    public const int OpenLength = 20;
    public const int CloseLength = 12;
    public const int OpenUnboundLength = 8;
    public const int MessageHeaderLength = 8;
    public const int MessageToHeaderLength = 20;
    public const int OpenReplyLength = 12;
    public const int CloseReplyLength = 12;
    public const int OpenUnboundReplyLength = 20;
    public const int ErrorHeaderLength = 8;
    public const int Ipv4Length = 4;

    public const uint MaxPort = ushort.MaxValue;

    public static uint ReadWord(ReadOnlySpan<byte> frame, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(frame[offset..]);

    public static void WriteWord(Span<byte> frame, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(frame[offset..], value);

    public static bool IsValidPort(uint port) => port - 1 < MaxPort;

    /// <summary>
    /// The checks common to both directions, in order: op word present, op known, op allowed here, length right for
    /// the op. <paramref name="lengths"/>, indexed by op, gives the exact length of each op in this direction (the
    /// minimum for the ops that carry a payload or text: MSG, MSG_TO, ERROR), 0 for ops not allowed.
    /// </summary>
    public static SpallocFrameError Check(ReadOnlySpan<byte> source, ReadOnlySpan<byte> lengths, out SpallocOp op)
    {
        op = default;
        if (source.Length < WordLength)
        {
            return SpallocFrameError.TooShort;
        }

        uint raw = BinaryPrimitives.ReadUInt32LittleEndian(source);
        if (raw > (uint)SpallocOp.Error)
        {
            return SpallocFrameError.UnknownOp;
        }

        int length = lengths[(int)raw];
        if (length == 0)
        {
            return SpallocFrameError.OpNotAllowed;
        }

        op = (SpallocOp)raw;
        if (op is SpallocOp.Message or SpallocOp.MessageTo or SpallocOp.Error)
        {
            return source.Length < length ? SpallocFrameError.TooShort : SpallocFrameError.None;
        }

        return source.Length == length ? SpallocFrameError.None : SpallocFrameError.WrongLength;
    }
}
