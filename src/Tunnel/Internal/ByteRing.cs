namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>How long the record starting at the front of a span is (the ring stores records back to back).</summary>
internal interface IRingRecordLayout
{
    static abstract int LengthAt(ReadOnlySpan<byte> record);
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
    public ReadOnlySpan<byte> RecordAt(int offset) => _buffer.AsSpan(offset, TLayout.LengthAt(_buffer.AsSpan(offset)));

    /// <summary>Offset of the record after the one at <paramref name="offset"/> (undefined past the newest record).</summary>
    public int Next(int offset)
    {
        int next = offset + TLayout.LengthAt(_buffer.AsSpan(offset));
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
        int limit = _head + Math.Min(maxBytes, end - _head);
        int next = _head;
        while (next < end)
        {
            int length = TLayout.LengthAt(_buffer.AsSpan(next));
            if (next + length > limit)
            {
                break;
            }

            next += length;
            count++;
        }

        return _buffer.AsSpan(_head, next - _head);
    }

    /// <summary>Removes the oldest record.</summary>
    public void PopHead() => PopHead(1, TLayout.LengthAt(_buffer.AsSpan(_head)));

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

    /// <summary>Removes every record.</summary>
    public void Clear()
    {
        _head = _tail = Count = UsedBytes = 0;
        _wrapEnd = -1;
    }
}
