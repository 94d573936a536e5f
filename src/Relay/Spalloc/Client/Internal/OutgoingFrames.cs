using System.Buffers.Binary;

namespace FastSpinnRelay.Relay.Spalloc.Client.Internal;

/// <summary>
/// Client → server frames waiting for the websocket sender: appended from any thread (the UDP loop appends a whole
/// batch, then wakes the sender once), taken all at once by the sender by swapping two buffers. Bounded in bytes:
/// when full a frame is refused and counted, so the loop never blocks on a slow websocket. Both buffers have the full
/// limit from the start, uninitialised (the kernel maps pages only as they are first written), so a burst never
/// makes them grow: growing meant fresh large-object-heap arrays, and gen-2 collections, under full load.
/// </summary>
internal sealed class OutgoingFrames(int limitBytes)
{
    private const int LengthPrefix = 4;
    private readonly Lock _lock = new();
    private byte[] _filling = GC.AllocateUninitializedArray<byte>(limitBytes);
    private byte[]? _spare = GC.AllocateUninitializedArray<byte>(limitBytes);
    private int _used;
    private long _dropped;

    /// <summary>Frames refused because the buffer was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Appends a frame that <paramref name="source"/> fills (exactly <paramref name="length"/> bytes); false when full.</summary>
    public bool TryAppend<TSource>(int length, scoped in TSource source)
        where TSource : IFrameSource, allows ref struct
    {
        lock (_lock)
        {
            var needed = _used + LengthPrefix + length;
            if (needed > limitBytes)
            {
                _dropped++;
                return false;
            }

            BinaryPrimitives.WriteInt32LittleEndian(_filling.AsSpan(_used), length);
            source.Write(_filling.AsSpan(_used + LengthPrefix, length));
            _used = needed;
            return true;
        }
    }

    /// <summary>
    /// Takes every queued frame (a buffer of length-prefixed frames, and its used length); give it back with
    /// <see cref="Return"/>. Nothing (length 0) while the previous buffer is still out.
    /// </summary>
    public (byte[] Buffer, int Length) Take()
    {
        lock (_lock)
        {
            if (_spare is null)
            {
                return ([], 0);
            }

            var taken = (_filling, _used);
            _filling = _spare;
            _spare = null;
            _used = 0;
            return taken;
        }
    }

    /// <summary>Returns a buffer from <see cref="Take"/> for reuse.</summary>
    public void Return(byte[] buffer)
    {
        lock (_lock)
        {
            if (buffer.Length > 0)
            {
                _spare ??= buffer;
            }
        }
    }

    /// <summary>Drops everything queued (the websocket is gone; frames for old channels mean nothing to a new one).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _used = 0;
        }
    }

    /// <summary>Walks the length-prefixed frames of a taken buffer.</summary>
    public static int Next(byte[] buffer, int offset, out ReadOnlyMemory<byte> frame)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(offset));
        frame = new ReadOnlyMemory<byte>(buffer, offset + LengthPrefix, length);
        return offset + LengthPrefix + length;
    }
}

/// <summary>Fills one frame's bytes; implemented by small structs so appends allocate nothing.</summary>
internal interface IFrameSource
{
    void Write(Span<byte> destination);
}
