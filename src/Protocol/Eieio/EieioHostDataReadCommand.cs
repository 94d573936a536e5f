using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Eieio.Internal;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// Command 9, HOST_DATA_READ: the host reports how much it has read from up to 7 regions.
/// <code>
///  0      2   3     4     6         7        8
/// +------+---+-----+-----+---------+--------+---------------------+
/// |0x4009| n | seq | pad | channel | region | length read (u32)   |  8 bytes per read, n reads
/// +------+---+-----+-----+---------+--------+---------------------+
/// </code>
/// A packet is 4 + 8·n bytes. As in spinnman's reader only the low 3 bits of the count byte count; the pad bytes
/// are ignored on reading and written as zeros.
/// </summary>
public readonly ref struct EieioHostDataReadCommand
{
    /// <summary>Most reads one packet can carry (3-bit count).</summary>
    public const int MaxReads = 7;

    private const int CountOffset = 2;
    private const int SequenceOffset = 3;
    private const int ReadLength = 8;

    private readonly ReadOnlySpan<byte> _packet;

    private EieioHostDataReadCommand(ReadOnlySpan<byte> packet) => _packet = packet;

    /// <summary>Number of reads, 0–7.</summary>
    public int Count => _packet[CountOffset] & EieioCommandLayout.RequestCountMask;

    /// <summary>Sequence number.</summary>
    public byte Sequence => _packet[SequenceOffset];

    /// <summary>Read <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, <see cref="Count"/>).</exception>
    public EieioCompletedRead GetRead(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            CallerBug.ArgumentOutOfRange(nameof(index), "Read index must be in [0, Count).");
        }

        ReadOnlySpan<byte> read = _packet.Slice(EieioCommandLayout.FirstEntryOffset + (index * ReadLength), ReadLength);
        return new EieioCompletedRead(read[2], read[3], BinaryPrimitives.ReadUInt32LittleEndian(read[4..]));
    }

    /// <summary>Size in bytes of a packet with <paramref name="count"/> reads (0–7).</summary>
    public static int GetLength(int count) =>
        EieioCommandLayout.EntriesLength(EieioCommandLayout.FirstEntryOffset, ReadLength, count);

    /// <summary>Reads a whole HOST_DATA_READ command. Never throws, never allocates; <paramref name="value"/> views <paramref name="source"/>.</summary>
    public static EieioCommandError TryRead(ReadOnlySpan<byte> source, out EieioHostDataReadCommand value)
    {
        EieioCommandError error = EieioCommandLayout.TryReadEntries(
            source, EieioCommandId.HostDataRead, EieioCommandLayout.FirstEntryOffset, CountOffset, ReadLength);
        value = error == EieioCommandError.None ? new EieioHostDataReadCommand(source) : default;
        return error;
    }

    /// <summary>Writes the command; false when <paramref name="destination"/> is shorter than <see cref="GetLength"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">There are more than 7 reads.</exception>
    public static bool TryWrite(Span<byte> destination, byte sequence, ReadOnlySpan<EieioCompletedRead> reads, out int bytesWritten)
    {
        if (reads.Length > MaxReads)
        {
            CallerBug.ArgumentOutOfRange(nameof(reads), "At most 7 reads fit in one packet.");
        }

        bytesWritten = 0;
        int length = GetLength(reads.Length);
        if (!EieioCommandLayout.TryWriteHeader(destination, EieioCommandId.HostDataRead, length))
        {
            return false;
        }

        destination[CountOffset] = (byte)reads.Length;
        destination[SequenceOffset] = sequence;
        for (int i = 0; i < reads.Length; i++)
        {
            Span<byte> read = destination.Slice(EieioCommandLayout.FirstEntryOffset + (i * ReadLength), ReadLength);
            read[0] = 0;
            read[1] = 0;
            read[2] = reads[i].Channel;
            read[3] = reads[i].Region;
            BinaryPrimitives.WriteUInt32LittleEndian(read[4..], reads[i].LengthRead);
        }

        bytesWritten = length;
        return true;
    }
}
