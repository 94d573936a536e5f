using System.Buffers;
using System.Diagnostics;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Compression;
using FastSpinnRelay.Tunnel.Internal;

namespace FastSpinnRelay.Tunnel;

/// <summary>The session's link to the connection that carries it, and what that connection's send loop writes.</summary>
public sealed partial class TunnelSession
{
    /// <summary>Largest run of reliable frames written before a flush (then the loop looks again).</summary>
    private const int ReliableWriteBudget = 64 * 1024;

    /// <summary>Most BATCH frames written before a flush (with 16 KiB batches, 128 KiB per write).</summary>
    private const int LatestBatchesPerWrite = 8;

    /// <summary>
    /// Bytes read since the last ACK was written past which the ACK goes at once rather than after
    /// <see cref="TunnelConnectionRunner.AckDelay"/>: a sixteenth of the default replay buffer, so a fast sender never
    /// waits for room because an ACK was held back.
    /// </summary>
    internal const int AckAtOnceBytes = 64 * 1024;

    private TunnelConnectionRunner? _current;
    private int _ackDue;
    private long _bytesSinceAck;
    private int _pongDue;
    private int _pingDue;
    private ulong _pongToken;
    private ulong _retransmitUntil;

    /// <summary>The latest queue dropped datagrams since it last had room (written under the lock, read without it as a hint).</summary>
    private bool _latestOverflowed;

    /// <summary>Channels waiting for <see cref="ITunnelRoomHandler.OnRoom"/> (under the lock).</summary>
    private int _roomWaiters;

    /// <summary>Woken whenever the send loop has something to write (one waiter: the current connection's send loop).</summary>
    internal AsyncSignal Signal { get; } = new();

    /// <summary>True when this side offered LZ4 and can decompress.</summary>
    internal bool LocalCompression { get; private set; }

    /// <summary>True when the peer offered LZ4 (and so this side may compress).</summary>
    internal bool PeerCompression { get; private set; }

    internal TunnelOptions Options => _options;

    internal ulong InboundNext => Volatile.Read(ref _inboundNext);

    internal TunnelConnectionRunner? Current => Volatile.Read(ref _current);

    internal void SetId(ReadOnlySpan<byte> id) => id.CopyTo(_id);

    internal static TunnelFeatures LocalFeatures(TunnelOptions options) =>
        options.EnableCompression && Lz4.IsAvailable ? TunnelFeatures.Lz4 : TunnelFeatures.None;

    /// <summary>
    /// Prepares the session for a new connection: drops what the peer has, rewinds the rest for retransmission.
    /// False when the peer claims frames never sent (the session cannot continue).
    /// </summary>
    internal bool TryResume(ulong peerNextExpected, TunnelFeatures localFeatures, TunnelFeatures peerFeatures)
    {
        lock (_gate)
        {
            if (_closed || !_replay.Resume(peerNextExpected))
            {
                return false;
            }

            _retransmitUntil = _replay.NextSequence;
        }

        LocalCompression = (localFeatures & TunnelFeatures.Lz4) != 0;
        PeerCompression = (peerFeatures & TunnelFeatures.Lz4) != 0 && LocalCompression;
        Volatile.Write(ref _ackDue, 0);
        Volatile.Write(ref _bytesSinceAck, 0);
        Volatile.Write(ref _pongDue, 0);
        Volatile.Write(ref _pingDue, 0);
        Interlocked.Increment(ref _counters.Connections);
        WakeSpaceWaiters();
        return true;
    }

    internal void Attach(TunnelConnectionRunner runner)
    {
        Volatile.Write(ref _current, runner);
        Signal.Set(); // retransmit at once
    }

    /// <summary>When the session last lost (or, new, never had) a connection: the server's linger runs from here.</summary>
    internal long DetachedTimestamp { get; private set; }

    internal void Detach(TunnelConnectionRunner runner, TunnelCloseReason reason)
    {
        DetachedTimestamp = _options.TimeProvider.GetTimestamp();
        Interlocked.CompareExchange(ref _current, null, runner);
        Volatile.Write(ref _lastCloseReason, (int)reason);
        lock (_gate)
        {
            LatestRoomLocked(); // nothing drains the queue now: producers that wait read (and drop the oldest) again
        }
    }

    internal void RequestPing()
    {
        Volatile.Write(ref _pingDue, 1);
        Signal.Set();
    }

    /// <summary>True when an ACK is owed (the receive loop signals once per read, not once per frame).</summary>
    internal bool AckDue => Volatile.Read(ref _ackDue) != 0;

    /// <summary>
    /// Adds a read of <paramref name="bytes"/> to those since the last ACK was written; true when they reach
    /// <see cref="AckAtOnceBytes"/> and the owed ACK should go now.
    /// </summary>
    internal bool CountTowardsAck(long bytes) => Interlocked.Add(ref _bytesSinceAck, bytes) >= AckAtOnceBytes;

    /// <summary>
    /// Writes what is pending, in priority order: ACK, PONG, PING, then reliable frames (retransmissions first, at most
    /// about 64 KiB), then, only when no reliable frame waits, BATCH frames (at most <see cref="LatestBatchesPerWrite"/>).
    /// Returns the bytes written (0: nothing to do).
    /// </summary>
    internal int WritePending(IBufferWriter<byte> output, Span<byte> batchBuffer)
    {
        int written = 0;
        if (Interlocked.Exchange(ref _ackDue, 0) != 0)
        {
            Interlocked.Exchange(ref _bytesSinceAck, 0);
            written += WriteValue(output, TunnelFrameType.Ack, Volatile.Read(ref _inboundNext));
        }

        if (Interlocked.Exchange(ref _pongDue, 0) != 0)
        {
            written += WriteValue(output, TunnelFrameType.Pong, Volatile.Read(ref _pongToken));
        }

        if (Interlocked.Exchange(ref _pingDue, 0) != 0)
        {
            written += WriteValue(output, TunnelFrameType.Ping, (ulong)Stopwatch.GetTimestamp());
            Interlocked.Increment(ref _counters.PingsSent);
        }

        bool latestTurn;
        lock (_gate)
        {
            ulong before = _replay.SendSequence;
            written += _replay.WriteUnsent(output, ReliableWriteBudget);
            if (before < _retransmitUntil)
            {
                _counters.ReliableFramesRetransmitted += (long)(Math.Min(_replay.SendSequence, _retransmitUntil) - before);
            }

            latestTurn = !_replay.HasUnsent;
        }

        // Several batches per flush when the queue holds them: one write (one syscall, one wake-up of the peer) carries
        // them all. Reliable frames queued meanwhile go first in the next pass.
        for (int batches = 0; latestTurn && batches < LatestBatchesPerWrite; batches++)
        {
            int wire = PeerCompression ? WriteCompressedBatch(output, batchBuffer) : WriteBatchInPlace(output);
            if (wire == 0)
            {
                break;
            }

            written += wire;
        }

        return written;
    }

    /// <summary>
    /// Moves the next batch's records from the queue straight into the output behind a BATCH header (one copy), unless
    /// reliable frames wait. Returns the frame's length, 0 when nothing was written.
    /// </summary>
    private int WriteBatchInPlace(IBufferWriter<byte> output)
    {
        Span<byte> destination = output.GetSpan(TunnelFrameHeader.Length + _options.MaxBatchBytes);
        int raw;
        lock (_gate)
        {
            raw = _replay.HasUnsent ? 0 : DequeueLatestLocked(destination.Slice(TunnelFrameHeader.Length, _options.MaxBatchBytes));
        }

        if (raw == 0)
        {
            return 0;
        }

        TunnelFrameWriter.TryWriteBatchHeader(destination, raw, out int wire);
        return CountBatch(output, raw, wire);
    }

    /// <summary>
    /// Takes the next batch's records into <paramref name="batchBuffer"/>, unless reliable frames wait, and writes them
    /// LZ4-compressed (or plain when too short or incompressible). Returns the frame's length, 0 when nothing was written.
    /// </summary>
    private int WriteCompressedBatch(IBufferWriter<byte> output, Span<byte> batchBuffer)
    {
        int raw;
        lock (_gate)
        {
            raw = _replay.HasUnsent ? 0 : DequeueLatestLocked(batchBuffer);
        }

        return raw == 0 ? 0 : WriteBatch(output, batchBuffer[..raw]);
    }

    /// <summary>Takes the next batch's records; once the queue is down to half after an overflow, there is room again.</summary>
    private int DequeueLatestLocked(Span<byte> batchBuffer)
    {
        int raw = _latest.Dequeue(batchBuffer);
        if (_latestOverflowed && _latest.UsedBytes <= _latest.Capacity / 2)
        {
            LatestRoomLocked();
        }

        return raw;
    }

    /// <summary>
    /// The server no longer knew this (client) session: every channel is lost, nothing unacknowledged can be delivered,
    /// and numbering restarts for the new session.
    /// </summary>
    internal void ResetLost()
    {
        TunnelChannel[] lost;
        lock (_gate)
        {
            lost = [.. _channels.Values];
            foreach (TunnelChannel channel in lost)
            {
                channel.IsOpen = false;
            }

            _channels.Clear();
            _replay.Reset();
            _latest.Clear();
            _latestOverflowed = false;
            _roomWaiters = 0;
            _retransmitUntil = 0;
            Volatile.Write(ref _inboundNext, 0);
            Array.Clear(_id);
        }

        _lastLookup = null;
        foreach (TunnelChannel channel in lost)
        {
            NotifyClosed(channel, TunnelErrorCode.SessionLost);
        }

        WakeSpaceWaiters();
    }

    /// <summary>Ends the session for good: channels closed with <paramref name="code"/>, sends refused, waiters released.</summary>
    internal void CloseFinal(TunnelErrorCode code)
    {
        TunnelChannel[] closed;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            closed = [.. _channels.Values];
            foreach (TunnelChannel channel in closed)
            {
                channel.IsOpen = false;
            }

            _channels.Clear();
            _latest.Clear();
        }

        foreach (TunnelChannel channel in closed)
        {
            NotifyClosed(channel, code);
        }

        WakeSpaceWaiters();
    }

    private int WriteBatch(IBufferWriter<byte> output, ReadOnlySpan<byte> records)
    {
        int wire = 0;
        if (PeerCompression && records.Length >= _options.CompressMinBytes && records.Length > 1)
        {
            Span<byte> destination = output.GetSpan(TunnelBatchFrame.CompressedHeaderLength + records.Length);
            int block = Lz4.TryCompress(records, destination.Slice(TunnelBatchFrame.CompressedHeaderLength, records.Length - 1));
            if (block > 0)
            {
                TunnelFrameWriter.TryWriteCompressedBatchHeader(destination, records.Length, block);
                wire = TunnelBatchFrame.CompressedHeaderLength + block;
                Interlocked.Increment(ref _counters.BatchesCompressed);
            }
        }

        if (wire == 0)
        {
            TunnelFrameWriter.TryWriteBatch(output.GetSpan(TunnelFrameHeader.Length + records.Length), records, out wire);
        }

        return CountBatch(output, records.Length, wire);
    }

    private int CountBatch(IBufferWriter<byte> output, int raw, int wire)
    {
        output.Advance(wire);
        Interlocked.Increment(ref _counters.BatchesSent);
        Interlocked.Add(ref _counters.BatchRawBytes, raw);
        Interlocked.Add(ref _counters.BatchWireBytes, wire);
        return wire;
    }

    private static int WriteValue(IBufferWriter<byte> output, TunnelFrameType type, ulong value)
    {
        TunnelFrameWriter.TryWriteValue(output.GetSpan(TunnelValueFrame.Length), type, value, out int written);
        output.Advance(written);
        return written;
    }
}
