using System.Runtime.CompilerServices;
using FastSpinnRelay.Protocol.Framing;

namespace FastSpinnRelay.Tunnel.Legacy;

/// <summary>
/// Datagrams waiting to be written to a spinnaker_proxy TCP stream, already framed (4-byte big-endian length +
/// bytes), in a bounded buffer of whole frames. The UDP side appends with <see cref="TryEnqueue"/> and calls
/// <see cref="Wake"/> once per batch; the connection's writer takes everything queued in one piece and writes it
/// with as few calls as the socket allows.
/// </summary>
/// <remarks>
/// <para>
/// Threading: <see cref="TryEnqueue"/>, <see cref="Wake"/>, <see cref="Close"/> and the counters from any thread;
/// they never block (a short lock guards the buffer swap). One connection at a time writes from it; a client that
/// reconnects keeps its outbox, so datagrams that arrive while it is disconnected wait here.
/// </para>
/// <para>
/// Memory: two buffers of <see cref="Capacity"/> bytes, allocated once. When a frame does not fit, it is dropped
/// and counted (<see cref="Dropped"/>) rather than making the caller wait: a UDP loop must never block on TCP.
/// Only whole frames are ever queued, and a connection that fails part-way through a write is closed, so the
/// stream can never desynchronise; the frames of that write are counted as dropped.
/// </para>
/// </remarks>
public sealed class FrameOutbox
{
    /// <summary>Default <see cref="Capacity"/>: 64 KiB (about 230 SCP packets, 60 boot packets).</summary>
    public const int DefaultCapacity = 64 * 1024;

    /// <summary>Smallest capacity accepted: 4 KiB.</summary>
    public const int MinCapacity = 4096;

    private readonly Lock _gate = new();
    private readonly AsyncSignal _signal = new();
    private byte[] _filling;
    private byte[] _taken;
    private int _fillingBytes;
    private int _fillingFrames;
    private int _takenFrames;
    private bool _closed;
    private bool _refused;
    private long _dropped;
    private long _queued;

    /// <param name="capacity">Bytes of framed datagrams held at most (4 KiB to 16 MiB). Default 64 KiB.</param>
    public FrameOutbox(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, MinCapacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 16 * 1024 * 1024);
        Capacity = capacity;
        _filling = new byte[capacity];
        _taken = new byte[capacity];
    }

    /// <summary>Most bytes (length prefixes included) waiting at once.</summary>
    public int Capacity { get; }

    /// <summary>Frames refused because the outbox was full or closed, plus frames lost with a broken connection.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Frames accepted by <see cref="TryEnqueue"/>.</summary>
    public long Queued => Volatile.Read(ref _queued);

    /// <summary>Bytes queued and not yet taken by a writer.</summary>
    public int PendingBytes
    {
        get
        {
            lock (_gate)
            {
                return _fillingBytes;
            }
        }
    }

    /// <summary>
    /// Appends <paramref name="datagram"/> as one frame. False, and counted in <see cref="Dropped"/>, when it does
    /// not fit in what is left or the outbox is closed. Call <see cref="Wake"/> after a batch of these.
    /// </summary>
    public bool TryEnqueue(ReadOnlySpan<byte> datagram)
    {
        lock (_gate)
        {
            return AppendLocked(datagram);
        }
    }

    /// <summary>
    /// Takes the outbox's lock once for a run of frames (a receive batch's datagrams for one stream): append them with
    /// <see cref="Appender.TryEnqueue"/>, then dispose the appender. Cheaper than <see cref="TryEnqueue"/> per
    /// datagram (one lock instead of one each); the writer waits for the lock while the run is appended, so keep a
    /// run to one batch and do nothing else while holding it. The caller's thread only; never nest.
    /// </summary>
    public Appender BeginAppend()
    {
        _gate.Enter();
        return new Appender(this);
    }

    /// <summary>Appends frames under one hold of the outbox's lock; from <see cref="BeginAppend"/>. Dispose once.</summary>
    public ref struct Appender
    {
        private FrameOutbox? _outbox;

        internal Appender(FrameOutbox outbox) => _outbox = outbox;

        /// <summary>Bytes queued and not yet taken by a writer, this run's frames included.</summary>
        public readonly int PendingBytes => _outbox!._fillingBytes;

        /// <summary>As <see cref="FrameOutbox.TryEnqueue"/>: false, and counted as dropped, when the frame does not fit or the outbox is closed.</summary>
        public readonly bool TryEnqueue(ReadOnlySpan<byte> datagram) => _outbox!.AppendLocked(datagram);

        /// <summary>Releases the lock. Idempotent.</summary>
        public void Dispose()
        {
            if (_outbox is { } outbox)
            {
                _outbox = null;
                outbox._gate.Exit();
            }
        }
    }

    /// <summary>
    /// Told when a writer takes a block after frames were refused for want of room (so there is room again), on the
    /// writer's thread, outside the lock; once per such take. Set before frames are queued.
    /// </summary>
    public IFrameOutboxRoomObserver? RoomObserver { get; set; }

    /// <summary>Lets the writer know frames are waiting (cheap when it is already awake or busy). Any thread.</summary>
    public void Wake() => _signal.Set();

    /// <summary>Appends one frame; the caller holds <see cref="_gate"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool AppendLocked(ReadOnlySpan<byte> datagram)
    {
        if (!_closed && LengthPrefixedFrameWriter.TryWrite(_filling.AsSpan(_fillingBytes, Capacity - _fillingBytes), datagram, out var written))
        {
            _fillingBytes += written;
            _fillingFrames++;
            _queued++;
            return true;
        }

        _refused = !_closed;
        _dropped++;
        return false;
    }

    /// <summary>Refuses further frames, drops what is waiting (counted) and wakes the writer so it can stop.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            _dropped += _fillingFrames;
            _fillingBytes = 0;
            _fillingFrames = 0;
        }

        _signal.Set();
    }

    /// <summary>True once <see cref="Close"/> was called.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_gate)
            {
                return _closed;
            }
        }
    }

    /// <summary>Waits until <see cref="Wake"/> or <see cref="Close"/> is called. The writer only.</summary>
    internal ValueTask WaitAsync() => _signal.WaitAsync();

    /// <summary>
    /// Takes every queued frame as one block (swapping buffers, no copy). The caller owns it until
    /// <see cref="Release"/> (all written) or <see cref="Abandon"/> (the connection broke). The writer only.
    /// </summary>
    internal bool TryTake(out ReadOnlyMemory<byte> frames, out int frameCount)
    {
        bool refused;
        lock (_gate)
        {
            if (_fillingBytes == 0)
            {
                frames = default;
                frameCount = 0;
                return false;
            }

            (_filling, _taken) = (_taken, _filling);
            frames = _taken.AsMemory(0, _fillingBytes);
            frameCount = _takenFrames = _fillingFrames;
            _fillingBytes = 0;
            _fillingFrames = 0;
            refused = _refused;
            _refused = false;
        }

        if (refused)
        {
            RoomObserver?.OnRoom(this);
        }

        return true;
    }

    /// <summary>The block from <see cref="TryTake"/> was written whole.</summary>
    internal void Release()
    {
        lock (_gate)
        {
            _takenFrames = 0;
        }
    }

    /// <summary>The block from <see cref="TryTake"/> was not (fully) written: its frames count as dropped.</summary>
    internal void Abandon()
    {
        lock (_gate)
        {
            _dropped += _takenFrames;
            _takenFrames = 0;
        }
    }
}
