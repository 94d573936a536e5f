using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Eieio.Internal;
using FastSpinnRelay.Protocol.Internal;

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>
/// Command 8, SPINNAKER_REQUEST_READ_DATA: a core announces up to 7 regions of recorded data ready to read.
/// <code>
///  0      2   3   4                5     6         7        8             12
/// +------+---+---+----------------+-----+---------+--------+-------------+--------------+
/// |0x4008| y | x | p &lt;&lt; 3 | n     | seq | channel | region | start (u32) | length (u32) |  request 0
/// +------+---+---+----------------+-----+---------+--------+-------------+--------------+
///       16    18        19       20            24
///      | pad | channel | region | start (u32) | length (u32) |  requests 1 .. n-1
/// </code>
/// Requests are 12-byte records from offset 4, so a packet is 4 + 12·n bytes (6 when n = 0). The first two bytes
/// of record 0 hold the processor/count byte and the sequence number; in later records they are pad. This is the
/// layout spinnman's reader and the Java reader use (protocols.md §6.2 does not mention the pad). Pad bytes are
/// ignored on reading and written as zeros. y comes before x, as in spinnman's reader (its writer swaps them).
/// </summary>
public readonly ref struct EieioReadDataRequestCommand
{
    /// <summary>Most requests one packet can carry (3-bit count).</summary>
    public const int MaxRequests = 7;

    private const int YOffset = 2;
    private const int XOffset = 3;
    private const int ProcessorAndCountOffset = 4;
    private const int SequenceOffset = 5;
    private const int MinLength = 6;
    private const int RequestLength = 12;

    private readonly ReadOnlySpan<byte> _packet;

    private EieioReadDataRequestCommand(ReadOnlySpan<byte> packet) => _packet = packet;

    /// <summary>Chip X.</summary>
    public byte X => _packet[XOffset];

    /// <summary>Chip Y.</summary>
    public byte Y => _packet[YOffset];

    /// <summary>Core number, 0–31.</summary>
    public byte Processor => (byte)(_packet[ProcessorAndCountOffset] >> EieioCommandLayout.ProcessorShift);

    /// <summary>Sequence number.</summary>
    public byte Sequence => _packet[SequenceOffset];

    /// <summary>Number of requests, 0–7.</summary>
    public int Count => _packet[ProcessorAndCountOffset] & EieioCommandLayout.RequestCountMask;

    /// <summary>Request <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not in [0, <see cref="Count"/>).</exception>
    public EieioPendingRead GetRequest(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            CallerBug.ArgumentOutOfRange(nameof(index), "Request index must be in [0, Count).");
        }

        ReadOnlySpan<byte> request = _packet.Slice(EieioCommandLayout.FirstEntryOffset + (index * RequestLength), RequestLength);
        return new EieioPendingRead(
            request[2], request[3], BinaryPrimitives.ReadUInt32LittleEndian(request[4..]), BinaryPrimitives.ReadUInt32LittleEndian(request[8..]));
    }

    /// <summary>Size in bytes of a packet with <paramref name="count"/> requests (0–7).</summary>
    public static int GetLength(int count) => EieioCommandLayout.EntriesLength(MinLength, RequestLength, count);

    /// <summary>Reads a whole SPINNAKER_REQUEST_READ_DATA command. Never throws, never allocates; <paramref name="value"/> views <paramref name="source"/>.</summary>
    public static EieioCommandError TryRead(ReadOnlySpan<byte> source, out EieioReadDataRequestCommand value)
    {
        EieioCommandError error = EieioCommandLayout.TryReadEntries(
            source, EieioCommandId.SpinnakerRequestReadData, MinLength, ProcessorAndCountOffset, RequestLength);
        value = error == EieioCommandError.None ? new EieioReadDataRequestCommand(source) : default;
        return error;
    }

    /// <summary>Writes the command; false when <paramref name="destination"/> is shorter than <see cref="GetLength"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="processor"/> is above 31 or there are more than 7 requests.</exception>
    public static bool TryWrite(
        Span<byte> destination, byte x, byte y, byte processor, byte sequence, ReadOnlySpan<EieioPendingRead> requests, out int bytesWritten)
    {
        if (processor > EieioCommandLayout.MaxProcessor)
        {
            CallerBug.ArgumentOutOfRange(nameof(processor), "Processor must be 0-31.");
        }

        if (requests.Length > MaxRequests)
        {
            CallerBug.ArgumentOutOfRange(nameof(requests), "At most 7 requests fit in one packet.");
        }

        bytesWritten = 0;
        int length = GetLength(requests.Length);
        if (!EieioCommandLayout.TryWriteHeader(destination, EieioCommandId.SpinnakerRequestReadData, length))
        {
            return false;
        }

        destination[YOffset] = y;
        destination[XOffset] = x;
        destination[ProcessorAndCountOffset] = (byte)((processor << EieioCommandLayout.ProcessorShift) | requests.Length);
        destination[SequenceOffset] = sequence;
        for (int i = 0; i < requests.Length; i++)
        {
            Span<byte> request = destination.Slice(EieioCommandLayout.FirstEntryOffset + (i * RequestLength), RequestLength);
            if (i > 0)
            {
                request[..2].Clear();
            }

            request[2] = requests[i].Channel;
            request[3] = requests[i].Region;
            BinaryPrimitives.WriteUInt32LittleEndian(request[4..], requests[i].StartAddress);
            BinaryPrimitives.WriteUInt32LittleEndian(request[8..], requests[i].Length);
        }

        bytesWritten = length;
        return true;
    }
}
