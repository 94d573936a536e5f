using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// The 8-byte header every tunnel frame starts with: body length (u32), type, flags, channel (u16), big-endian.
/// See the diagram on <c>Internal/TunnelLayout</c>. Reading it checks nothing but presence: the typed readers
/// (<see cref="TunnelDataFrame"/>, …) check the rest.
/// </summary>
public readonly struct TunnelFrameHeader
{
    /// <summary>Size of the header in bytes.</summary>
    public const int Length = TunnelLayout.HeaderLength;

    private TunnelFrameHeader(uint bodyLength, TunnelFrameType type, byte flags, ushort channel)
    {
        BodyLength = bodyLength;
        Type = type;
        Flags = flags;
        Channel = channel;
    }

    /// <summary>Bytes after the header, as announced (not yet checked against any maximum).</summary>
    public uint BodyLength { get; }

    /// <summary>The type byte; may be a value <see cref="TunnelFrameType"/> does not name.</summary>
    public TunnelFrameType Type { get; }

    /// <summary>The flags byte.</summary>
    public byte Flags { get; }

    /// <summary>The channel field (0 on frames without a channel).</summary>
    public ushort Channel { get; }

    /// <summary>Header plus body, in bytes.</summary>
    public long FrameLength => Length + (long)BodyLength;

    /// <summary>True when <see cref="Type"/> is one of the types this version defines.</summary>
    public bool IsKnownType => Type is >= TunnelFrameType.Hello and <= TunnelFrameType.Error
        or >= TunnelFrameType.Open and <= TunnelFrameType.Data
        or TunnelFrameType.Batch
        or >= TunnelFrameType.Ack and <= TunnelFrameType.Pong;

    /// <summary>Reads the first 8 bytes of <paramref name="source"/>: false (and default) when there are fewer.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out TunnelFrameHeader header)
    {
        if (source.Length < Length)
        {
            header = default;
            return false;
        }

        header = new TunnelFrameHeader(
            BinaryPrimitives.ReadUInt32BigEndian(source),
            (TunnelFrameType)source[TunnelLayout.TypeOffset],
            source[TunnelLayout.FlagsOffset],
            BinaryPrimitives.ReadUInt16BigEndian(source[TunnelLayout.ChannelOffset..]));
        return true;
    }
}
