using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tunnel.Internal;

namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>
/// The records inside a BATCH: <c>channel u16 | length u16 | datagram (length bytes)</c>, back to back, at least one.
/// Channel 0 is invalid; a datagram is at most 65,507 bytes.
/// </summary>
public static class TunnelBatchRecords
{
    /// <summary>Bytes before each datagram.</summary>
    public const int RecordHeaderLength = TunnelLayout.BatchRecordHeaderLength;

    /// <summary>Bytes a record of a <paramref name="datagramLength"/>-byte datagram takes.</summary>
    public static int RecordLength(int datagramLength) => RecordHeaderLength + datagramLength;

    /// <summary>Checks a whole record area: at least one record, none cut short, no channel 0, no datagram above the maximum.</summary>
    public static TunnelFrameError Validate(ReadOnlySpan<byte> records)
    {
        if (records.IsEmpty)
        {
            return TunnelFrameError.BadBatch;
        }

        // One big-endian read per record header: channel in the high half, length in the low half.
        while (records.Length >= RecordHeaderLength)
        {
            uint header = BinaryPrimitives.ReadUInt32BigEndian(records);
            int length = (int)(header & 0xFFFF);
            if (header <= 0xFFFF || length > TunnelLayout.MaxDatagramLength || records.Length - RecordHeaderLength < length)
            {
                return TunnelFrameError.BadBatch; // channel 0, a datagram above the maximum, or one cut short
            }

            records = records.Slice(RecordHeaderLength + length);
        }

        return records.IsEmpty ? TunnelFrameError.None : TunnelFrameError.BadBatch;
    }

    /// <summary>
    /// Walks the records of an area <see cref="Validate"/> accepted. On any other bytes the walk stops (MoveNext false)
    /// at the first record cut short; it never throws.
    /// </summary>
    public static TunnelBatchRecordEnumerator Enumerate(ReadOnlySpan<byte> records) => new(records);

    /// <summary>Writes one record; false, with <paramref name="bytesWritten"/> = 0, when it does not fit.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Channel 0, or a datagram above 65,507 bytes.</exception>
    public static bool TryWrite(Span<byte> destination, ushort channel, ReadOnlySpan<byte> datagram, out int bytesWritten)
    {
        TunnelFrameWriter.CheckChannel(channel);
        TunnelFrameWriter.CheckDatagram(datagram.Length);
        bytesWritten = 0;
        if (destination.Length < RecordLength(datagram.Length))
        {
            return false;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, ((uint)channel << 16) | (uint)datagram.Length); // channel, then length
        datagram.CopyTo(destination[RecordHeaderLength..]);
        bytesWritten = RecordLength(datagram.Length);
        return true;
    }
}

/// <summary>Walks batch records: <c>while (e.MoveNext()) use(e.Channel, e.Datagram);</c>.</summary>
public ref struct TunnelBatchRecordEnumerator
{
    private ReadOnlySpan<byte> _rest;

    internal TunnelBatchRecordEnumerator(ReadOnlySpan<byte> records) => _rest = records;

    /// <summary>The current record's channel.</summary>
    public ushort Channel { get; private set; }

    /// <summary>The current record's datagram.</summary>
    public ReadOnlySpan<byte> Datagram { get; private set; }

    /// <summary>Advances to the next record; false at the end (or at a record cut short).</summary>
    public bool MoveNext()
    {
        ReadOnlySpan<byte> rest = _rest;
        if (rest.Length < TunnelLayout.BatchRecordHeaderLength)
        {
            return false;
        }

        uint header = BinaryPrimitives.ReadUInt32BigEndian(rest);
        int length = (int)(header & 0xFFFF);
        if (rest.Length - TunnelLayout.BatchRecordHeaderLength < length)
        {
            return false;
        }

        Channel = (ushort)(header >> 16);
        Datagram = rest.Slice(TunnelLayout.BatchRecordHeaderLength, length);
        _rest = rest.Slice(TunnelLayout.BatchRecordHeaderLength + length);
        return true;
    }
}
