using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Compression;
using FastSpinnRelay.Tunnel.Internal;

namespace FastSpinnRelay.Tunnel;

/// <summary>The receive side: frames from the current connection's receive loop (one thread at a time).</summary>
public sealed partial class TunnelSession
{
    private ulong _inboundNext;
    private TunnelChannel? _lastLookup;
    private TunnelChannel? _reliableRun;

    /// <summary>Handles one whole frame that arrived after the handshake.</summary>
    internal FrameOutcome HandleFrame(ReadOnlySpan<byte> frame, TunnelFrameType type, Span<byte> decompressBuffer)
    {
        switch (type)
        {
            case TunnelFrameType.Data:
            {
                TunnelFrameError error = TunnelDataFrame.TryRead(frame, out TunnelDataFrame data);
                if (error != TunnelFrameError.None)
                {
                    return FrameOutcome.Malformed(type, error);
                }

                if (!InSequence(data.Sequence, out FrameOutcome outcome))
                {
                    return outcome;
                }

                Deliver(data.Channel, data.Datagram, data.GapMicroseconds);
                return FrameOutcome.Continue;
            }

            case TunnelFrameType.Batch:
                return HandleBatch(frame, decompressBuffer);
            case TunnelFrameType.Ack:
            case TunnelFrameType.Ping:
            case TunnelFrameType.Pong:
                return HandleValue(frame, type);
            case TunnelFrameType.Open:
                return HandleOpen(frame);
            case TunnelFrameType.Close:
                return HandleClose(frame);
            case TunnelFrameType.Error:
            {
                TunnelFrameError error = TunnelErrorFrame.TryRead(frame, out TunnelErrorFrame peerError);
                if (error != TunnelFrameError.None)
                {
                    return FrameOutcome.Malformed(type, error);
                }

                // After the handshake, an authentication error means the server's credentials no longer let this client in.
                TunnelCloseReason reason = peerError.Code switch
                {
                    TunnelErrorCode.Shutdown => TunnelCloseReason.PeerShutdown,
                    TunnelErrorCode.AuthMethodNotAllowed or TunnelErrorCode.AuthenticationFailed when IsClient => TunnelCloseReason.Revoked,
                    _ => TunnelCloseReason.PeerError,
                };
                return new FrameOutcome(reason, TunnelErrorCode.None, $"peer sent ERROR {peerError.Code}: \"{TunnelLog.Escape(peerError.Text)}\"");
            }

            default:
                return FrameOutcome.Violation($"unexpected {FrameOutcome.Name(type)} frame after the handshake");
        }
    }

    private FrameOutcome HandleBatch(ReadOnlySpan<byte> frame, Span<byte> decompressBuffer)
    {
        TunnelFrameError error = TunnelBatchFrame.TryRead(frame, _options.MaxBatchBytes, out TunnelBatchFrame batch);
        if (error != TunnelFrameError.None)
        {
            return FrameOutcome.Malformed(TunnelFrameType.Batch, error);
        }

        ReadOnlySpan<byte> records = batch.Content;
        if (batch.IsCompressed)
        {
            if (!LocalCompression)
            {
                return FrameOutcome.Violation("compressed BATCH, but this side did not offer LZ4");
            }

            Span<byte> raw = decompressBuffer[..batch.RawLength];
            if (Lz4.TryDecompress(batch.Content, raw) != batch.RawLength)
            {
                return FrameOutcome.Violation("BATCH: the LZ4 block is malformed or not its announced length");
            }

            error = TunnelBatchRecords.Validate(raw);
            if (error != TunnelFrameError.None)
            {
                return FrameOutcome.Malformed(TunnelFrameType.Batch, error);
            }

            records = raw;
        }

        // The records come in runs of one channel's datagrams; a batch handler hears when each run ends.
        TunnelBatchRecordEnumerator walk = TunnelBatchRecords.Enumerate(records);
        bool more = walk.MoveNext();
        while (more)
        {
            var run = new TunnelDatagramRun(walk);
            TunnelChannel? channel = Resolve(walk.Channel, TunnelDeliveryClass.Latest);
            if (channel is not null)
            {
                DeliverRun(channel, ref run);

                // Receive-side counters have one writer, this loop: plain stores.
                channel.CountReceived(run.Count);
                Volatile.Write(ref _counters.LatestDatagramsReceived, _counters.LatestDatagramsReceived + run.Count);
            }

            // What was not handed over (no open channel, closed meanwhile, or left unread) is counted undelivered.
            int delivered = run.Count;
            int undelivered = run.Finish() - delivered;
            if (undelivered != 0)
            {
                Interlocked.Add(ref _counters.DatagramsForClosedChannels, undelivered);
            }

            EndBatch(channel);
            more = run.NextRun(out walk);
        }

        return FrameOutcome.Continue;
    }

    /// <summary>Hands a run to its channel's handler: in one call when it takes runs, else datagram by datagram.</summary>
    private void DeliverRun(TunnelChannel channel, ref TunnelDatagramRun run)
    {
        if (channel.Handler is ITunnelRunHandler runs)
        {
            try
            {
                runs.OnDatagrams(channel, ref run);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                HandlerFault(channel, ex);
            }

            return;
        }

        ITunnelChannelHandler handler = channel.Handler!;
        while (channel.IsOpen && run.TryNext(out ReadOnlySpan<byte> datagram))
        {
            try
            {
                handler.OnDatagram(channel, datagram, 0);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                HandlerFault(channel, ex);
            }
        }
    }

    private void EndBatch(TunnelChannel? channel)
    {
        if (channel?.Handler is not ITunnelBatchHandler handler)
        {
            return;
        }

        try
        {
            handler.OnBatchEnd(channel);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            HandlerFault(channel, ex);
        }
    }

    private FrameOutcome HandleValue(ReadOnlySpan<byte> frame, TunnelFrameType type)
    {
        TunnelFrameError error = TunnelValueFrame.TryRead(frame, out TunnelValueFrame value);
        if (error != TunnelFrameError.None)
        {
            return FrameOutcome.Malformed(type, error);
        }

        switch (type)
        {
            case TunnelFrameType.Ack:
                bool acknowledged;
                ulong sent;
                lock (_gate)
                {
                    acknowledged = _replay.Acknowledge(value.Value);
                    sent = _replay.SendSequence;
                    ReplayRoomLocked();
                }

                if (!acknowledged)
                {
                    return new FrameOutcome(
                        TunnelCloseReason.BadAcknowledgement, TunnelErrorCode.BadAcknowledgement, $"ACK of {value.Value} but only {sent} frames were sent");
                }

                WakeSpaceWaiters();
                break;
            case TunnelFrameType.Ping:
                Volatile.Write(ref _pongToken, value.Value);
                Volatile.Write(ref _pongDue, 1);
                Signal.Set();
                break;
            case TunnelFrameType.Pong:
                Interlocked.Increment(ref _counters.PongsReceived);
                break;
        }

        return FrameOutcome.Continue;
    }

    private FrameOutcome HandleOpen(ReadOnlySpan<byte> frame)
    {
        TunnelFrameError error = TunnelOpenFrame.TryRead(frame, out TunnelOpenFrame open);
        if (error != TunnelFrameError.None)
        {
            return FrameOutcome.Malformed(TunnelFrameType.Open, error);
        }

        if (!InSequence(open.Sequence, out FrameOutcome outcome))
        {
            return outcome;
        }

        ushort id = open.Channel;
        if ((id & 1) == (IsClient ? 0 : 1))
        {
            return FrameOutcome.Violation($"OPEN of channel {id}, an id of this side's range");
        }

        TunnelChannel channel;
        lock (_gate)
        {
            if (_channels.ContainsKey(id))
            {
                return FrameOutcome.Violation($"OPEN of channel {id}, which is open");
            }

            if (_closed || _channels.Count >= _options.MaxChannels)
            {
                AppendCloseLocked(id, TunnelErrorCode.ChannelLimit);
                Signal.Set();
                return FrameOutcome.Continue;
            }

            channel = new TunnelChannel(this, id, open.Kind, TargetOf(open), openedLocally: false);
            _channels.Add(id, channel);
        }

        ITunnelChannelHandler? handler = null;
        try
        {
            handler = _acceptor?.OnChannelOpening(channel);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            HandlerFault(channel, ex);
        }

        if (handler is null)
        {
            lock (_gate)
            {
                channel.IsOpen = false;
                _channels.Remove(id);
                AppendCloseLocked(id, TunnelErrorCode.ChannelRejected);
            }

            Signal.Set();
            Log(TunnelLogLevel.Info, $"{this}: refused the peer's {channel}");
            return FrameOutcome.Continue;
        }

        channel.Handler = handler;
        return FrameOutcome.Continue;
    }

    private FrameOutcome HandleClose(ReadOnlySpan<byte> frame)
    {
        TunnelFrameError error = TunnelCloseFrame.TryRead(frame, out TunnelCloseFrame close);
        if (error != TunnelFrameError.None)
        {
            return FrameOutcome.Malformed(TunnelFrameType.Close, error);
        }

        if (!InSequence(close.Sequence, out FrameOutcome outcome))
        {
            return outcome;
        }

        TunnelChannel? channel;
        lock (_gate)
        {
            if (_channels.Remove(close.Channel, out channel))
            {
                channel.IsOpen = false;
            }
        }

        if (channel is not null)
        {
            NotifyClosed(channel, close.Code);
        }

        return FrameOutcome.Continue;
    }

    /// <summary>
    /// The reliable-class rule: the next expected frame is taken (true), an older one is a duplicate after a resume
    /// (false, dropped, carry on), a newer one cannot happen on an ordered stream (false, end the connection).
    /// </summary>
    private bool InSequence(ulong sequence, out FrameOutcome outcome)
    {
        outcome = FrameOutcome.Continue;
        ulong expected = _inboundNext;
        if (sequence == expected)
        {
            Volatile.Write(ref _inboundNext, expected + 1);
            Volatile.Write(ref _ackDue, 1);
            Interlocked.Increment(ref _counters.ReliableFramesReceived);
            return true;
        }

        if (sequence < expected)
        {
            Interlocked.Increment(ref _counters.DuplicatesDropped);
            return false;
        }

        outcome = new FrameOutcome(TunnelCloseReason.OutOfSequence, TunnelErrorCode.OutOfSequence, $"reliable frame {sequence} while expecting {expected}");
        return false;
    }

    /// <summary>
    /// The frames of one read from the transport have been handled: a batch handler whose reliable datagrams arrived
    /// in it hears that its run ended (so what it queued leaves now, one syscall for the read rather than per frame).
    /// </summary>
    internal void EndOfRead()
    {
        TunnelChannel? run = _reliableRun;
        _reliableRun = null;
        EndBatch(run);
    }

    /// <summary>Hands a reliable datagram to its channel's handler (a change of channel ends the previous one's run).</summary>
    private void Deliver(ushort id, ReadOnlySpan<byte> datagram, uint gapMicroseconds)
    {
        TunnelChannel? channel = Resolve(id, TunnelDeliveryClass.Reliable);
        if (channel is null)
        {
            Interlocked.Increment(ref _counters.DatagramsForClosedChannels);
            return;
        }

        if (channel != _reliableRun)
        {
            EndBatch(_reliableRun);
            _reliableRun = channel;
        }

        channel.CountReceived();
        try
        {
            channel.Handler!.OnDatagram(channel, datagram, gapMicroseconds);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            HandlerFault(channel, ex);
        }
    }

    /// <summary>The open channel <paramref name="id"/> of class <paramref name="delivery"/> with a handler, or null (not delivered).</summary>
    private TunnelChannel? Resolve(ushort id, TunnelDeliveryClass delivery)
    {
        TunnelChannel? channel = _lastLookup;
        if (channel is null || channel.Id != id || !channel.IsOpen)
        {
            lock (_gate)
            {
                _channels.TryGetValue(id, out channel);
            }

            _lastLookup = channel;
        }

        return channel is null || channel.Handler is null || !channel.IsOpen || channel.Delivery != delivery ? null : channel;
    }

    private void NotifyClosed(TunnelChannel channel, TunnelErrorCode code)
    {
        try
        {
            channel.Handler?.OnClosed(channel, code);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            HandlerFault(channel, ex);
        }
    }

    private void HandlerFault(TunnelChannel channel, Exception exception)
    {
        Interlocked.Increment(ref _counters.HandlerFaults);
        Log(TunnelLogLevel.Error, $"{this}: the handler of {channel} threw {exception.GetType().Name}: {exception.Message}");
    }
}
