using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>How long the record starting at a byte is (the ring stores records back to back).</summary>
internal interface IRingRecordLayout
{
    /// <summary>
    /// The length of the record whose first byte is <paramref name="record"/>. The ring calls it only at record starts,
    /// where the whole record (so its header) lies inside the buffer.
    /// </summary>
    static abstract int LengthAt(ref readonly byte record);
}

/// <summary>
/// A fixed byte buffer holding variable-length records first-in first-out, each record contiguous (a record that does
/// not fit before the end starts again at 0, leaving the end unused). Allocated once; not thread-safe (the session's
/// lock guards it).
/// </summary>
/// <remarks>
/// Valid bytes are <c>[head, tail)</c>, or when wrapped <c>[head, wrapEnd) ∪ [0, tail)</c>. A record's length is
/// read from the record itself through <typeparamref name="TLayout"/>, so no side table is needed.
/// </remarks>
internal sealed class ByteRing<TLayout>
    where TLayout : IRingRecordLayout
{
    private readonly byte[] _buffer;
    private int _head;
    private int _tail;
    private int _wrapEnd = -1;

    public ByteRing(int capacity) => _buffer = new byte[capacity];

    public int Capacity => _buffer.Length;

    /// <summary>Records held.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes held by records (not counting an unused end).</summary>
    public int UsedBytes { get; private set; }

    /// <summary>Offset of the oldest record (meaningful when <see cref="Count"/> &gt; 0).</summary>
    public int Head => _head;

    /// <summary>True when <see cref="TryAppend"/> of <paramref name="length"/> bytes would succeed now.</summary>
    public bool CanAppend(int length) =>
        length > 0 && length <= _buffer.Length
        && (_wrapEnd >= 0 ? _head - _tail >= length : _buffer.Length - _tail >= length || _head >= length || Count == 0);

    /// <summary>
    /// Reserves <paramref name="length"/> contiguous bytes at the tail as a new record, at <paramref name="offset"/>;
    /// false when they do not fit. The caller writes the record (see <see cref="Space"/>) before anything else reads it.
    /// </summary>
    public bool TryAppend(int length, out int offset)
    {
        offset = 0;
        if (length <= 0 || length > _buffer.Length)
        {
            return false;
        }

        if (_wrapEnd >= 0)
        {
            if (_head - _tail < length)
            {
                return false;
            }

            offset = _tail;
        }
        else if (_buffer.Length - _tail >= length)
        {
            offset = _tail;
        }
        else if (_head >= length || Count == 0)
        {
            if (Count == 0)
            {
                _head = 0;
            }
            else
            {
                _wrapEnd = _tail;
            }

            offset = 0;
        }
        else
        {
            return false;
        }

        _tail = offset + length;
        Count++;
        UsedBytes += length;
        return true;
    }

    /// <summary>The bytes of a record just reserved by <see cref="TryAppend"/>, to write it.</summary>
    public Span<byte> Space(int offset, int length) => _buffer.AsSpan(offset, length);

    /// <summary>The record at <paramref name="offset"/> (a record start).</summary>
    public ReadOnlySpan<byte> RecordAt(int offset) => _buffer.AsSpan(offset, LengthAt(offset));

    /// <summary>Offset of the record after the one at <paramref name="offset"/> (undefined past the newest record).</summary>
    public int Next(int offset)
    {
        int next = offset + LengthAt(offset);
        return next == _wrapEnd ? 0 : next;
    }

    /// <summary>
    /// The oldest records that lie back to back up to the wrap point (or the newest record) and fit in
    /// <paramref name="maxBytes"/>, as one span: <paramref name="count"/> records, to copy at once and then
    /// <see cref="PopHead(int, int)"/>. Empty when the ring is empty or the oldest record alone is longer.
    /// </summary>
    public ReadOnlySpan<byte> HeadRun(int maxBytes, out int count)
    {
        count = 0;
        if (Count == 0)
        {
            return default;
        }

        int end = _wrapEnd >= 0 ? _wrapEnd : _tail;
        if (_wrapEnd < 0 && end - _head <= maxBytes)
        {
            // Every record, lying back to back: nothing to walk.
            count = Count;
            return _buffer.AsSpan(_head, end - _head);
        }

        // One walk over the record starts, a record per step (this runs for every datagram of a busy stream).
        int limit = _head + Math.Min(maxBytes, end - _head);
        ref byte start = ref MemoryMarshal.GetArrayDataReference(_buffer);
        int next = _head;
        while (next < limit)
        {
            int after = next + TLayout.LengthAt(in Unsafe.Add(ref start, next));
            if (after > limit)
            {
                break;
            }

            next = after;
            count++;
        }

        return _buffer.AsSpan(_head, next - _head);
    }

    /// <summary>Removes the oldest record.</summary>
    public void PopHead() => PopHead(1, LengthAt(_head));

    /// <summary>Removes the oldest <paramref name="count"/> records, <paramref name="bytes"/> long together, as <see cref="HeadRun"/> gave them.</summary>
    public void PopHead(int count, int bytes)
    {
        _head += bytes;
        Count -= count;
        UsedBytes -= bytes;
        if (Count == 0)
        {
            _head = _tail = 0;
            _wrapEnd = -1;
        }
        else if (_head == _wrapEnd)
        {
            _head = 0;
            _wrapEnd = -1;
        }
    }

    /// <summary>The length of the record at <paramref name="offset"/>, a record start (so its header is inside the buffer).</summary>
    private int LengthAt(int offset)
    {
        // Every layout's length lies in a record's first four bytes, and every record is at least that long.
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)offset, (uint)(_buffer.Length - sizeof(uint)), nameof(offset));
        return TLayout.LengthAt(in Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buffer), offset));
    }

    /// <summary>Removes every record.</summary>
    public void Clear()
    {
        _head = _tail = Count = UsedBytes = 0;
        _wrapEnd = -1;
    }
}
