using System.Buffers.Binary;

namespace FastSpinnRelay.Relay.Spalloc.Client.Internal;

/// <summary>
/// Client → server frames waiting for the websocket sender: appended from any thread (the UDP loop appends a whole
/// batch, then wakes the sender once), taken all at once by the sender by swapping two buffers. Bounded in bytes:
/// when full a frame is refused and counted, so the loop never blocks on a slow websocket.
/// </summary>
internal sealed class OutgoingFrames(int limitBytes)
{
    private const int LengthPrefix = 4;
    private readonly Lock _lock = new();
    private byte[] _filling = new byte[Math.Min(limitBytes, 256 << 10)];
    private byte[] _spare = new byte[Math.Min(limitBytes, 256 << 10)];
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

            if (needed > _filling.Length)
            {
                Array.Resize(ref _filling, Math.Min(limitBytes, Math.Max(needed, _filling.Length * 2)));
            }

            BinaryPrimitives.WriteInt32LittleEndian(_filling.AsSpan(_used), length);
            source.Write(_filling.AsSpan(_used + LengthPrefix, length));
            _used = needed;
            return true;
        }
    }

    /// <summary>Takes every queued frame (a buffer of length-prefixed frames, and its used length); give it back with <see cref="Return"/>.</summary>
    public (byte[] Buffer, int Length) Take()
    {
        lock (_lock)
        {
            var taken = (_filling, _used);
            _filling = _spare;
            _spare = [];
            _used = 0;
            return taken;
        }
    }

    /// <summary>Returns a buffer from <see cref="Take"/> for reuse.</summary>
    public void Return(byte[] buffer)
    {
        lock (_lock)
        {
            if (_spare.Length < buffer.Length)
            {
                _spare = buffer;
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
