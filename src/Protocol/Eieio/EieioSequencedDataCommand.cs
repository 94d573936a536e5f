using FastSpinnRelay.Protocol.Eieio.Internal;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// Command 7, HOST_SEND_SEQUENCED_DATA: the host sends buffered-input events for one region.
/// <code>
///  0      2        3     4
/// +------+--------+-----+---------------------------------------+
/// |0x4007| region | seq | an EIEIO data packet, to the end       |
/// +------+--------+-----+---------------------------------------+
/// </code>
/// </summary>
public readonly ref struct EieioSequencedDataCommand
{
    /// <summary>Bytes before the embedded data packet: header, region and sequence number.</summary>
    public const int HeaderLength = 4;

    private const int RegionOffset = 2;
    private const int SequenceOffset = 3;

    private EieioSequencedDataCommand(byte region, byte sequence, EieioDataPacket data)
    {
        Region = region;
        Sequence = sequence;
        Data = data;
    }

    /// <summary>Buffer region the events are for.</summary>
    public byte Region { get; }

    /// <summary>Sequence number.</summary>
    public byte Sequence { get; }

    /// <summary>The embedded data packet (already validated).</summary>
    public EieioDataPacket Data { get; }

    /// <summary>
    /// Reads a whole HOST_SEND_SEQUENCED_DATA command, including its embedded data packet. Never throws, never
    /// allocates; <paramref name="value"/> views <paramref name="source"/>.
    /// </summary>
    public static EieioCommandError TryRead(ReadOnlySpan<byte> source, out EieioSequencedDataCommand value)
    {
        value = default;
        EieioCommandError error = EieioCommandLayout.TryReadBody(source, EieioCommandId.HostSendSequencedData, out _);
        if (error != EieioCommandError.None)
        {
            return error;
        }

        if (source.Length < HeaderLength)
        {
            return EieioCommandError.BodyTooShort;
        }

        if (EieioDataPacket.TryRead(source[HeaderLength..], out EieioDataPacket data) != EieioDataError.None)
        {
            return EieioCommandError.EmbeddedDataMalformed;
        }

        value = new EieioSequencedDataCommand(source[RegionOffset], source[SequenceOffset], data);
        return EieioCommandError.None;
    }

    /// <summary>
    /// Writes the command around a copy of <paramref name="dataPacket"/>; false when <paramref name="destination"/>
    /// is shorter than 4 + the data packet.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dataPacket"/> is not a valid EIEIO data packet.</exception>
    public static bool TryWrite(Span<byte> destination, byte region, byte sequence, ReadOnlySpan<byte> dataPacket, out int bytesWritten)
    {
        if (EieioDataPacket.TryRead(dataPacket, out _) != EieioDataError.None)
        {
            CallerBug.Argument(nameof(dataPacket), "The embedded packet must be a valid EIEIO data packet.");
        }

        bytesWritten = 0;
        int length = HeaderLength + dataPacket.Length;
        if (!EieioCommandLayout.TryWriteHeader(destination, EieioCommandId.HostSendSequencedData, length))
        {
            return false;
        }

        destination[RegionOffset] = region;
        destination[SequenceOffset] = sequence;
        dataPacket.CopyTo(destination[HeaderLength..]);
        bytesWritten = length;
        return true;
    }
}
