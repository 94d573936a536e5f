using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>Record layout of the replay buffer: whole tunnel frames (8-byte header with the body length).</summary>
internal readonly struct FrameRecordLayout : IRingRecordLayout
{
    public static int LengthAt(ref readonly byte record) =>
        TunnelFrameHeader.Length + (int)BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(in record));
}

/// <summary>
/// The reliable class's send side: every OPEN, CLOSE and DATA frame, encoded once with its sequence number, kept until
/// the peer acknowledges it, bounded in bytes. Tracks what has been written on the current connection, so a resume
/// rewinds to the oldest unacknowledged frame. Not thread-safe: the session's lock guards it.
/// </summary>
internal sealed class ReplayBuffer
{
    private readonly ByteRing<FrameRecordLayout> _ring;
    private readonly int _userLimit;
    private int _sendOffset;

    /// <param name="capacity">Bytes for frames.</param>
    /// <param name="reserve">Bytes at the top that only protocol-generated frames (CLOSE answers) may use.</param>
    public ReplayBuffer(int capacity, int reserve)
    {
        _ring = new ByteRing<FrameRecordLayout>(capacity + reserve);
        _userLimit = capacity;
    }

    /// <summary>Sequence number of the oldest frame kept (everything before it is acknowledged).</summary>
    public ulong AckedUpTo { get; private set; }

    /// <summary>Sequence number the next appended frame gets.</summary>
    public ulong NextSequence { get; private set; }

    /// <summary>Sequence number of the next frame to write on the current connection.</summary>
    public ulong SendSequence { get; private set; }

    /// <summary>Frames appended but not yet written on the current connection.</summary>
    public bool HasUnsent => SendSequence < NextSequence;

    /// <summary>Bytes held (unacknowledged frames).</summary>
    public int UsedBytes => _ring.UsedBytes;

    /// <summary>
    /// True when a user send of a <paramref name="frameLength"/>-byte frame would succeed now: within the user limit,
    /// and contiguous room in the ring (so a waiter woken by an ack never spins on a fragmented ring).
    /// </summary>
    public bool HasRoomFor(int frameLength) => _ring.UsedBytes + frameLength <= _userLimit && _ring.CanAppend(frameLength);

    /// <summary>
    /// Reserves a frame of <paramref name="frameLength"/> bytes and gives it the next sequence number; the caller
    /// writes the frame (with <paramref name="sequence"/>) into <paramref name="frame"/> at once. False when full.
    /// </summary>
    public bool TryAppend(int frameLength, bool useReserve, out Span<byte> frame, out ulong sequence)
    {
        frame = default;
        sequence = NextSequence;
        if (!useReserve && _ring.UsedBytes + frameLength > _userLimit)
        {
            return false;
        }

        if (!_ring.TryAppend(frameLength, out int offset))
        {
            return false;
        }

        frame = _ring.Space(offset, frameLength);
        if (!HasUnsent)
        {
            _sendOffset = offset;
        }

        NextSequence++;
        return true;
    }

    /// <summary>
    /// Drops every frame below <paramref name="nextExpected"/> (the peer's cumulative ack). False, changing nothing,
    /// when it acknowledges a frame not yet written on this connection.
    /// </summary>
    public bool Acknowledge(ulong nextExpected)
    {
        if (nextExpected > SendSequence)
        {
            return false;
        }

        while (AckedUpTo < nextExpected)
        {
            _ring.PopHead();
            AckedUpTo++;
        }

        return true;
    }

    /// <summary>
    /// Starts a new connection: drops what the peer says it has (<paramref name="peerNextExpected"/>) and rewinds so
    /// every other frame is written again. False, changing nothing, when the peer claims frames never sent.
    /// </summary>
    public bool Resume(ulong peerNextExpected)
    {
        if (peerNextExpected > NextSequence || peerNextExpected < AckedUpTo)
        {
            return false;
        }

        SendSequence = NextSequence;
        Acknowledge(peerNextExpected);
        SendSequence = AckedUpTo;
        _sendOffset = _ring.Head;
        return true;
    }

    /// <summary>
    /// Copies unsent frames, oldest first, into <paramref name="output"/> while they fit in <paramref name="budget"/>
    /// bytes (at least one frame is copied when any is unsent). Returns the bytes copied.
    /// </summary>
    public int WriteUnsent(IBufferWriter<byte> output, int budget)
    {
        int total = 0;
        while (HasUnsent)
        {
            ReadOnlySpan<byte> frame = _ring.RecordAt(_sendOffset);
            if (total > 0 && total + frame.Length > budget)
            {
                break;
            }

            frame.CopyTo(output.GetSpan(frame.Length));
            output.Advance(frame.Length);
            total += frame.Length;
            SendSequence++;
            if (HasUnsent)
            {
                _sendOffset = _ring.Next(_sendOffset);
            }
        }

        return total;
    }

    /// <summary>Forgets everything and restarts the sequence at 0 (a session the server no longer knew).</summary>
    public void Reset()
    {
        _ring.Clear();
        AckedUpTo = NextSequence = SendSequence = 0;
        _sendOffset = 0;
    }
}
