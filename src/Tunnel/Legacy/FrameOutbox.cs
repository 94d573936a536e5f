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
        var needed = LengthPrefixedFrameWriter.HeaderLength + datagram.Length;
        lock (_gate)
        {
            if (!_closed && needed <= Capacity - _fillingBytes
                && LengthPrefixedFrameWriter.TryWrite(_filling.AsSpan(_fillingBytes), datagram, out var written))
            {
                _fillingBytes += written;
                _fillingFrames++;
                _queued++;
                return true;
            }

            _dropped++;
            return false;
        }
    }

    /// <summary>Lets the writer know frames are waiting (cheap when it is already awake or busy). Any thread.</summary>
    public void Wake() => _signal.Set();

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
            return true;
        }
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
