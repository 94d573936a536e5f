using FastSpinnRelay.Protocol.Framing;

namespace FastSpinnRelay.Tunnel.Legacy.Internal;

/// <summary>
/// The receive side of one spinnaker_proxy TCP stream: bytes are read into <see cref="FreeSpace"/>, whole frames
/// are sliced off the front with <see cref="TryTakeFrame"/>, and <see cref="Compact"/> keeps the start of an
/// unfinished frame for the next read.
/// </summary>
/// <remarks>
/// <para>
/// Frames taken stay valid and unchanged until the next <see cref="Compact"/> (so a caller may await between them, e.g.
/// to pace boot packets), and the buffer is pinned, so a handler may send them from where they lie. The buffer starts small and grows only when a frame that has been announced needs it, never past
/// 4 + the reader's maximum; the length is checked before the payload is waited for.
/// </para>
/// <para>Threading: one reader at a time. No allocation except when growing.</para>
/// </remarks>
internal sealed class FrameReceiveBuffer
{
    private readonly LengthPrefixedFrameReader _reader;
    private byte[] _buffer;
    private int _start;
    private int _end;

    /// <param name="reader">Framing rules (maximum frame length).</param>
    /// <param name="initialBytes">Starting size; grows on demand up to 4 + the maximum frame length.</param>
    public FrameReceiveBuffer(LengthPrefixedFrameReader reader, int initialBytes)
    {
        _reader = reader;
        _buffer = GC.AllocateUninitializedArray<byte>(Math.Clamp(initialBytes, 64, LengthPrefixedFrameReader.HeaderLength + reader.MaxFrameLength), pinned: true);
    }

    /// <summary>Where the next read should go (never empty after <see cref="Compact"/>).</summary>
    public Memory<byte> FreeSpace => _buffer.AsMemory(_end);

    /// <summary>Bytes received and not yet taken as frames (the start of an unfinished frame, after a scan).</summary>
    public int Pending => _end - _start;

    /// <summary>Current size of the buffer in bytes.</summary>
    public int Size => _buffer.Length;

    /// <summary>Records that <paramref name="count"/> bytes were read into <see cref="FreeSpace"/>.</summary>
    public void Advance(int count) => _end += count;

    /// <summary>
    /// Slices the next whole frame: on <see cref="FrameStatus.Done"/>, <paramref name="frame"/> locates its payload
    /// (read it with <see cref="Payload"/>); on <see cref="FrameStatus.TooLarge"/>, <paramref name="announcedLength"/>
    /// is the offending length. <see cref="FrameStatus.NeedMoreData"/> consumes nothing.
    /// </summary>
    public FrameStatus TryTakeFrame(out Range frame, out long announcedLength)
    {
        ReadOnlySpan<byte> rest = _buffer.AsSpan(_start, _end - _start);
        var status = _reader.TryReadFrame(ref rest, out var payload, out announcedLength);
        frame = default;
        if (status == FrameStatus.Done)
        {
            var offset = _start + LengthPrefixedFrameReader.HeaderLength;
            frame = new Range(offset, offset + payload.Length);
            _start = offset + payload.Length;
        }

        return status;
    }

    /// <summary>The payload of a frame from <see cref="TryTakeFrame"/> (valid until <see cref="Compact"/>).</summary>
    public ReadOnlySpan<byte> Payload(Range frame) => _buffer.AsSpan(frame);

    /// <summary>
    /// Moves an unfinished frame to the front and, when its announced length will not fit, grows the buffer to
    /// hold it whole. Invalidates earlier frames. Call after <see cref="TryTakeFrame"/> returned NeedMoreData.
    /// </summary>
    public void Compact(long announcedLength)
    {
        var pending = _end - _start;
        var needed = announcedLength < 0 ? LengthPrefixedFrameReader.HeaderLength : LengthPrefixedFrameReader.HeaderLength + (int)announcedLength;
        if (needed > _buffer.Length)
        {
            var grown = GC.AllocateUninitializedArray<byte>(Math.Max(needed, Math.Min(_buffer.Length * 2, LengthPrefixedFrameReader.HeaderLength + _reader.MaxFrameLength)), pinned: true);
            _buffer.AsSpan(_start, pending).CopyTo(grown);
            _buffer = grown;
        }
        else if (_start != 0)
        {
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
        }

        _start = 0;
        _end = pending;
    }
}
