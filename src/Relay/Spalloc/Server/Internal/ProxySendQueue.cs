using FastSpinnRelay.Protocol.Spalloc;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>What happened to a frame offered to a <see cref="ProxySendQueue"/>.</summary>
internal enum QueueResult : byte
{
    /// <summary>Queued (older droppable frames may have been dropped to make room).</summary>
    Queued,

    /// <summary>The queue is full of frames that must be kept, so this droppable frame was dropped.</summary>
    DroppedLive,

    /// <summary>The queue is full of frames that must be kept, so this one was dropped too (the client is not reading).</summary>
    DroppedReply,

    /// <summary>The queue was completed (the websocket is closing).</summary>
    Closed,
}

/// <summary>
/// The frames waiting for one websocket, bounded in bytes. Producers (the UDP loop thread for board datagrams, the
/// websocket's receive loop for replies) append; the one sender takes everything queued at once as a batch and gives it
/// back when sent, so two batches exist: the one filling (at most the limit) and the one in flight.
/// </summary>
/// <remarks>
/// Under pressure droppable frames (live output: anything that is not SDP) go first, oldest first, in chunks of an
/// eighth of the limit so the packing cost is paid rarely; frames that must be kept (SDP: SCP replies; control replies)
/// are only dropped when nothing else is left to drop, which means the client has stopped reading (the stall timeout
/// then closes the websocket). Allocation-free once both batches have grown to their working size.
/// </remarks>
internal sealed class ProxySendQueue
{
    private readonly Lock _gate = new();
    private readonly int _limit;
    private readonly SpallocProxyCounters? _counters;
    private FrameBatch _filling;
    private FrameBatch? _spare;
    private bool _completed;
    private long _queuedFrames;
    private long _droppedLive;
    private long _droppedLiveBytes;
    private long _droppedReplies;

    /// <param name="limitBytes">Most bytes the filling batch holds (<see cref="SpallocServerOptions.SendQueueBytes"/>).</param>
    /// <param name="counters">Server-wide counters to add drops to, or null.</param>
    public ProxySendQueue(int limitBytes, SpallocProxyCounters? counters = null)
    {
        _limit = limitBytes;
        _counters = counters;
        _filling = new FrameBatch(limitBytes);
        _spare = new FrameBatch(limitBytes);
    }

    /// <summary>Frames accepted so far.</summary>
    public long QueuedFrames => Interlocked.Read(ref _queuedFrames);

    /// <summary>Droppable frames dropped (oldest first, or the newest when only kept frames were left).</summary>
    public long DroppedLive => Interlocked.Read(ref _droppedLive);

    public long DroppedLiveBytes => Interlocked.Read(ref _droppedLiveBytes);

    /// <summary>Frames that should have been kept but found the queue full of kept frames.</summary>
    public long DroppedReplies => Interlocked.Read(ref _droppedReplies);

    /// <summary>True once <see cref="Complete"/> ran: nothing more is accepted.</summary>
    public bool IsCompleted => Volatile.Read(ref _completed);

    /// <summary>Queues a MSG frame: the 8-byte header for <paramref name="channelId"/> and a copy of <paramref name="payload"/>.</summary>
    public QueueResult TryAppendMessage(uint channelId, ReadOnlySpan<byte> payload, bool droppable)
    {
        var length = SpallocFrameWriter.MessageHeaderLength + payload.Length;
        lock (_gate)
        {
            var result = Reserve(length, droppable, out var frame);
            if (result == QueueResult.Queued)
            {
                SpallocFrameWriter.TryWriteMessage(frame, channelId, payload, out _);
            }

            return result;
        }
    }

    /// <summary>Queues a frame already written (a reply); it is kept under pressure.</summary>
    public QueueResult TryAppendFrame(ReadOnlySpan<byte> frame)
    {
        lock (_gate)
        {
            var result = Reserve(frame.Length, droppable: false, out var destination);
            if (result == QueueResult.Queued)
            {
                frame.CopyTo(destination);
            }

            return result;
        }
    }

    /// <summary>Takes everything queued as one batch (null when empty). Give it back with <see cref="Return"/> before taking again.</summary>
    public FrameBatch? TryTake()
    {
        lock (_gate)
        {
            if (_filling.Count == 0 || _spare is null)
            {
                return null;
            }

            var batch = _filling;
            _filling = _spare;
            _spare = null;
            return batch;
        }
    }

    /// <summary>Gives a sent batch back for reuse.</summary>
    public void Return(FrameBatch batch)
    {
        batch.Reset();
        lock (_gate)
        {
            _spare = batch;
        }
    }

    /// <summary>Accepts nothing more; with <paramref name="discardPending"/> also forgets what is queued.</summary>
    public void Complete(bool discardPending)
    {
        lock (_gate)
        {
            _completed = true;
            if (discardPending)
            {
                _filling.Reset();
            }
        }
    }

    private QueueResult Reserve(int length, bool droppable, out Span<byte> frame)
    {
        frame = default;
        if (_completed)
        {
            return QueueResult.Closed;
        }

        if (_filling.Bytes + length > _limit)
        {
            if (_filling.DroppableBytes > 0)
            {
                var wanted = Math.Max(_filling.Bytes + length - _limit, _limit / 8);
                var dropped = _filling.DropOldestDroppable(wanted, out var freed);
                _droppedLive += dropped;
                _droppedLiveBytes += freed;
                _counters?.LiveDropped(dropped);
            }

            if (_filling.Bytes + length > _limit)
            {
                if (droppable)
                {
                    _droppedLive++;
                    _droppedLiveBytes += length;
                    _counters?.LiveDropped(1);
                    return QueueResult.DroppedLive;
                }

                _droppedReplies++;
                _counters?.ReplyDropped();
                return QueueResult.DroppedReply;
            }
        }

        frame = _filling.Append(length, droppable);
        _queuedFrames++;
        return QueueResult.Queued;
    }
}
