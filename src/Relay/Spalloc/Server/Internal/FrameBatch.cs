using FastSpinnRelay.Protocol.Spalloc;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// Frames packed back to back in one buffer (up to a byte limit), with a record per frame saying where it is and
/// whether it may be dropped under pressure. Not thread-safe: <see cref="ProxySendQueue"/> guards it.
/// </summary>
/// <remarks>
/// The buffer has the whole limit from the start and the records room for a full batch of 24-byte datagrams, both
/// uninitialised (the kernel maps pages only as they are first written), so a burst does not make them grow: growing
/// meant fresh arrays, up to the large-object heap, the first time a websocket's client fell behind. Only a batch of
/// smaller frames than that can still grow the records (doubling, kept).
/// </remarks>
internal sealed class FrameBatch(int limitBytes)
{
    /// <summary>The smallest frame a full batch is sized for: a MSG header and a 24-byte EIEIO datagram.</summary>
    internal const int SizedForFrameBytes = SpallocFrameWriter.MessageHeaderLength + 24;

    private byte[] _data = GC.AllocateUninitializedArray<byte>(limitBytes);
    private Record[] _records = GC.AllocateUninitializedArray<Record>(Math.Max(1, limitBytes / SizedForFrameBytes));
    private int _count;

    /// <summary>Frames the records hold before they must grow.</summary>
    public int RecordCapacity => _records.Length;

    /// <summary>Frames held.</summary>
    public int Count => _count;

    /// <summary>Bytes held.</summary>
    public int Bytes { get; private set; }

    /// <summary>Bytes held in droppable frames.</summary>
    public int DroppableBytes { get; private set; }

    /// <summary>Frame <paramref name="index"/>, valid until <see cref="Reset"/>.</summary>
    public ReadOnlyMemory<byte> Frame(int index)
    {
        var record = _records[index];
        return new ReadOnlyMemory<byte>(_data, record.Offset, record.Length);
    }

    /// <summary>True when frame <paramref name="index"/> was queued as droppable.</summary>
    public bool IsDroppable(int index) => _records[index].Droppable;

    /// <summary>Appends a frame of <paramref name="length"/> bytes (the caller checked the limit) and returns its bytes to fill.</summary>
    public Span<byte> Append(int length, bool droppable)
    {
        EnsureRoom(length);
        if (_count == _records.Length)
        {
            Array.Resize(ref _records, _records.Length * 2);
        }

        var offset = Bytes;
        _records[_count++] = new Record(offset, length, droppable);
        Bytes += length;
        if (droppable)
        {
            DroppableBytes += length;
        }

        return _data.AsSpan(offset, length);
    }

    /// <summary>
    /// Drops droppable frames, oldest first, until at least <paramref name="bytesWanted"/> bytes are freed or none are
    /// left, then packs the rest together (order kept). Returns the frames dropped; <paramref name="bytesFreed"/> their bytes.
    /// </summary>
    public int DropOldestDroppable(int bytesWanted, out int bytesFreed)
    {
        bytesFreed = 0;
        var dropped = 0;
        var write = 0;
        var writeOffset = 0;
        for (var read = 0; read < _count; read++)
        {
            var record = _records[read];
            if (record.Droppable && bytesFreed < bytesWanted)
            {
                bytesFreed += record.Length;
                dropped++;
                continue;
            }

            if (writeOffset != record.Offset)
            {
                _data.AsSpan(record.Offset, record.Length).CopyTo(_data.AsSpan(writeOffset));
            }

            _records[write++] = record with { Offset = writeOffset };
            writeOffset += record.Length;
        }

        _count = write;
        Bytes = writeOffset;
        DroppableBytes -= bytesFreed;
        return dropped;
    }

    /// <summary>Empties the batch (the buffers are kept).</summary>
    public void Reset()
    {
        _count = 0;
        Bytes = 0;
        DroppableBytes = 0;
    }

    private void EnsureRoom(int length)
    {
        var needed = Bytes + length;
        if (needed <= _data.Length)
        {
            return;
        }

        var size = _data.Length;
        while (size < needed)
        {
            size *= 2;
        }

        Array.Resize(ref _data, Math.Max(Math.Min(size, limitBytes), needed));
    }

    private readonly record struct Record(int Offset, int Length, bool Droppable);
}
