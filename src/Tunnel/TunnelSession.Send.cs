using System.Diagnostics;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Internal;

namespace FastSpinnRelay.Tunnel;

/// <summary>The producer side: what <see cref="TunnelChannel"/> calls from any thread.</summary>
public sealed partial class TunnelSession
{
    /// <summary>Queues one reliable-class datagram; wakes the send loop (on the pool) when <paramref name="wake"/>, else leaves it to <see cref="WakeSender"/>.</summary>
    internal TunnelSendStatus TrySendReliable(TunnelChannel channel, ReadOnlySpan<byte> datagram, bool wake)
    {
        int frameLength = TunnelFrameWriter.DataFrameLength(datagram.Length);
        if (datagram.Length > TunnelDataFrame.MaxDatagramLength || frameLength - TunnelFrameHeader.Length > _options.MaxBodyLength)
        {
            return TunnelSendStatus.TooLarge;
        }

        long now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (_closed || !channel.IsOpen)
            {
                return TunnelSendStatus.Closed;
            }

            if (!_replay.TryAppend(frameLength, useReserve: false, out Span<byte> frame, out ulong sequence))
            {
                return TunnelSendStatus.Full;
            }

            uint gap = GapMicroseconds(channel.LastSendTimestamp, now);
            channel.LastSendTimestamp = now;
            TunnelFrameWriter.TryWriteData(frame, channel.Id, sequence, gap, datagram, out _);
        }

        Interlocked.Increment(ref _counters.ReliableFramesQueued);
        if (wake)
        {
            Signal.Set();
        }

        return TunnelSendStatus.Sent;
    }

    /// <summary>Queues one latest-class datagram; wakes the send loop (on the pool) when <paramref name="wake"/>, else leaves it to <see cref="WakeSender"/>.</summary>
    internal TunnelSendStatus TrySendLatest(TunnelChannel channel, ReadOnlySpan<byte> datagram, bool wake)
    {
        if (!FitsLatest(datagram.Length))
        {
            return TunnelSendStatus.TooLarge;
        }

        var one = new OneDatagram(datagram);
        if (TrySendLatestAll(channel, ref one) != 1)
        {
            return TunnelSendStatus.Closed;
        }

        if (wake)
        {
            Signal.Set();
        }

        return TunnelSendStatus.Sent;
    }

    /// <summary>
    /// Wakes the send loop for <paramref name="queued"/> datagrams queued without waking it. The caller holds no lock: a
    /// short run is written out on its thread when the loop is idle (<see cref="AsyncSignal.SetAfterRun"/>).
    /// </summary>
    internal void WakeSender(int queued) => Signal.SetAfterRun(queued);

    /// <summary>
    /// Queues a run of latest-class datagrams under one lock; skips those too large. Returns how many were queued. Does
    /// not wake the send loop: the caller does (<see cref="WakeSender"/>).
    /// </summary>
    internal int TrySendLatestAll<TSource>(TunnelChannel channel, ref TSource source)
        where TSource : struct, ITunnelDatagramSource, allows ref struct
    {
        var sent = 0;
        lock (_gate)
        {
            if (_closed || !channel.IsOpen)
            {
                return 0;
            }

            var drops = new DropCounter(this);
            while (source.TryNext(out ReadOnlySpan<byte> datagram))
            {
                if (FitsLatest(datagram.Length))
                {
                    _latest.Enqueue(channel.Id, datagram, ref drops);
                    sent++;
                }
            }

            drops.Commit();
        }

        if (sent != 0)
        {
            Interlocked.Add(ref _counters.LatestDatagramsQueued, sent);
        }

        return sent;
    }

    internal bool LatestQueueOverflowed => Volatile.Read(ref _latestOverflowed) && Current is not null;

    /// <summary>See <see cref="TunnelChannel.TryWaitForLatestRoom"/>.</summary>
    internal bool TryWaitForLatestRoom(TunnelChannel channel)
    {
        if (!Volatile.Read(ref _latestOverflowed))
        {
            return false;
        }

        lock (_gate)
        {
            if (!_latestOverflowed || _closed || Current is null || !channel.IsOpen || channel.Delivery != TunnelDeliveryClass.Latest
                || channel.Handler is not ITunnelRoomHandler)
            {
                return false;
            }

            WaitForRoomLocked(channel);
            return true;
        }
    }

    /// <summary>See <see cref="TunnelChannel.TryWaitForReplayRoom"/>.</summary>
    internal bool TryWaitForReplayRoom(TunnelChannel channel)
    {
        lock (_gate)
        {
            if (_closed || !channel.IsOpen || channel.Delivery != TunnelDeliveryClass.Reliable || channel.Handler is not ITunnelRoomHandler
                || ReplayHasRoomLocked)
            {
                return false;
            }

            WaitForRoomLocked(channel);
            return true;
        }
    }

    /// <summary>A quarter of the replay buffer is free: what a paused reliable producer waits for (hysteresis against flapping).</summary>
    private bool ReplayHasRoomLocked => _replay.UsedBytes <= _options.ReplayBufferBytes * 3 / 4;

    private void WaitForRoomLocked(TunnelChannel channel)
    {
        if (!channel.WaitingForRoom)
        {
            channel.WaitingForRoom = true;
            _roomWaiters++;
        }
    }

    /// <summary>
    /// The latest queue has room (or nothing drains it any more): clears the overflow and tells each waiting
    /// latest-class handler.
    /// </summary>
    private void LatestRoomLocked()
    {
        _latestOverflowed = false;
        RoomLocked(TunnelDeliveryClass.Latest);
    }

    /// <summary>After acknowledgements: tells waiting reliable-class handlers once a quarter of the replay buffer is free.</summary>
    private void ReplayRoomLocked()
    {
        if (ReplayHasRoomLocked)
        {
            RoomLocked(TunnelDeliveryClass.Reliable);
        }
    }

    /// <summary>
    /// Tells each handler of class <paramref name="delivery"/> that waits that there is room. Under the lock; the
    /// handlers' contract (<see cref="ITunnelRoomHandler.OnRoom"/>) keeps them out of the session.
    /// </summary>
    private void RoomLocked(TunnelDeliveryClass delivery)
    {
        if (_roomWaiters == 0)
        {
            return;
        }

        // Recounted here: a channel closed while it waited is gone from the table without being told.
        _roomWaiters = 0;
        foreach (TunnelChannel channel in _channels.Values)
        {
            if (!channel.WaitingForRoom || channel.Delivery != delivery)
            {
                _roomWaiters += channel.WaitingForRoom ? 1 : 0;
                continue;
            }

            channel.WaitingForRoom = false;
            try
            {
                (channel.Handler as ITunnelRoomHandler)?.OnRoom(channel);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                HandlerFault(channel, ex);
            }
        }
    }

    private bool FitsLatest(int datagramLength) =>
        datagramLength <= TunnelDataFrame.MaxDatagramLength && TunnelBatchRecords.RecordLength(datagramLength) <= _options.MaxBatchBytes;

    internal ValueTask WaitForSpaceAsync(int frameLength, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            if (_closed || _replay.HasRoomFor(frameLength))
            {
                return default;
            }

            waiter = _spaceWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return new ValueTask(waiter.Task.WaitAsync(cancellationToken));
    }

    internal void CloseChannel(TunnelChannel channel, TunnelErrorCode code)
    {
        lock (_gate)
        {
            if (_closed || !channel.IsOpen)
            {
                return;
            }

            channel.IsOpen = false;
            _channels.Remove(channel.Id);
            AppendCloseLocked(channel.Id, code);
        }

        Signal.Set();
    }

    /// <summary>Queues a CLOSE (from the reserve: protocol answers must not wait for user traffic to be acknowledged).</summary>
    private void AppendCloseLocked(ushort id, TunnelErrorCode code)
    {
        if (_replay.TryAppend(TunnelCloseFrame.Length, useReserve: true, out Span<byte> frame, out ulong sequence))
        {
            TunnelFrameWriter.TryWriteClose(frame, id, sequence, code, out _);
            Interlocked.Increment(ref _counters.ReliableFramesQueued);
        }
        else
        {
            Log(TunnelLogLevel.Warning, $"{this}: replay buffer and its reserve full; CLOSE of channel {id} not sent");
        }
    }

    private void WakeSpaceWaiters()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _spaceWaiter;
            _spaceWaiter = null;
        }

        waiter?.TrySetResult();
    }

    private static uint GapMicroseconds(long previous, long now)
    {
        if (previous == 0)
        {
            return 0;
        }

        double micros = (now - previous) * 1_000_000.0 / Stopwatch.Frequency;
        return micros >= uint.MaxValue ? uint.MaxValue : (uint)micros;
    }

    private void Log(TunnelLogLevel level, string message)
    {
        if (_options.Log.IsEnabled(level))
        {
            _options.Log.Write(level, message);
        }
    }

    /// <summary>
    /// Counts the datagrams the latest queue drops (called under the lock, per drop: plain adds into this struct);
    /// <see cref="Commit"/> adds them to the session's and channels' counters once per run, not once per datagram.
    /// </summary>
    private struct DropCounter(TunnelSession session) : IDropCounter
    {
        private long _datagrams;
        private long _bytes;
        private ushort _channel;
        private long _channelDatagrams;

        public void Dropped(ushort channel, int datagramLength)
        {
            if (_channelDatagrams != 0 && channel != _channel)
            {
                CommitChannel();
            }

            _channel = channel;
            _channelDatagrams++;
            _datagrams++;
            _bytes += datagramLength;
        }

        /// <summary>Adds what was counted to the counters (still under the lock: the channel table is read).</summary>
        public void Commit()
        {
            if (_datagrams == 0)
            {
                return;
            }

            CommitChannel();
            Volatile.Write(ref session._latestOverflowed, true);
            Interlocked.Add(ref session._counters.LatestDatagramsDropped, _datagrams);
            Interlocked.Add(ref session._counters.LatestBytesDropped, _bytes);
            _datagrams = 0;
            _bytes = 0;
        }

        private void CommitChannel()
        {
            if (session._channels.TryGetValue(_channel, out TunnelChannel? owner))
            {
                owner.CountDropped(_channelDatagrams);
            }

            _channelDatagrams = 0;
        }
    }

    /// <summary>A single datagram as a source, so one send and a run share the queueing code.</summary>
    private ref struct OneDatagram(ReadOnlySpan<byte> datagram) : ITunnelDatagramSource
    {
        private ReadOnlySpan<byte> _datagram = datagram;
        private bool _taken;

        public bool TryNext(out ReadOnlySpan<byte> datagram)
        {
            bool first = !_taken;
            datagram = first ? _datagram : default;
            _taken = true;
            return first;
        }
    }
}
