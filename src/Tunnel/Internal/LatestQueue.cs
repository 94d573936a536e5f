using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>Record layout of the latest queue: batch records (channel u16, length u16, datagram), as sent in BATCH.</summary>
internal readonly struct BatchRecordLayout : IRingRecordLayout
{
    public static int LengthAt(ref readonly byte record) =>
        TunnelBatchRecords.RecordHeaderLength + BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(in Unsafe.Add(ref Unsafe.AsRef(in record), 2)));
}

/// <summary>
/// The latest class's send side: datagrams waiting for the next BATCH, stored in the BATCH record layout so a batch is
/// one copy. Bounded in bytes; a datagram that does not fit pushes out the oldest ones, and every drop is reported.
/// Not thread-safe: the session's lock guards it.
/// </summary>
internal sealed class LatestQueue
{
    private readonly ByteRing<BatchRecordLayout> _ring;

    public LatestQueue(int capacity) => _ring = new ByteRing<BatchRecordLayout>(capacity);

    public bool IsEmpty => _ring.Count == 0;

    public int Count => _ring.Count;

    /// <summary>Bytes the queue can hold.</summary>
    public int Capacity => _ring.Capacity;

    /// <summary>Bytes of queued records.</summary>
    public int UsedBytes => _ring.UsedBytes;

    /// <summary>
    /// Queues a datagram for <paramref name="channel"/>, dropping the oldest queued datagrams until it fits; each
    /// dropped datagram's channel is passed to <paramref name="onDrop"/>. False (and dropped, nothing else touched)
    /// when it is larger than the whole queue or than a datagram may be.
    /// </summary>
    public bool Enqueue<TDrop>(ushort channel, ReadOnlySpan<byte> datagram, ref TDrop onDrop)
        where TDrop : struct, IDropCounter
    {
        int length = TunnelBatchRecords.RecordLength(datagram.Length);
        if (length > _ring.Capacity || datagram.Length > TunnelDataFrame.MaxDatagramLength)
        {
            return false;
        }

        int offset;
        while (!_ring.TryAppend(length, out offset))
        {
            ReadOnlySpan<byte> oldest = _ring.RecordAt(_ring.Head);
            onDrop.Dropped(BinaryPrimitives.ReadUInt16BigEndian(oldest), oldest.Length - TunnelBatchRecords.RecordHeaderLength);
            _ring.PopHead(1, oldest.Length);
        }

        TunnelBatchRecords.TryWrite(_ring.Space(offset, length), channel, datagram, out _);
        return true;
    }

    /// <summary>
    /// Moves the oldest records into <paramref name="destination"/> while they fit (at least one if any is queued and
    /// fits at all). Returns the bytes moved.
    /// </summary>
    public int Dequeue(Span<byte> destination)
    {
        // One copy per run of records lying back to back (at most two: before and after the ring's wrap point).
        int total = 0;
        while (true)
        {
            ReadOnlySpan<byte> run = _ring.HeadRun(destination.Length - total, out int count);
            if (count == 0)
            {
                return total;
            }

            run.CopyTo(destination[total..]);
            total += run.Length;
            _ring.PopHead(count, run.Length);
        }
    }

    public void Clear() => _ring.Clear();
}

/// <summary>Told about each datagram the latest queue drops (a struct, so the call is direct and allocation-free).</summary>
internal interface IDropCounter
{
    void Dropped(ushort channel, int datagramLength);
}
