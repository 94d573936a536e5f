using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>
/// The client's TCP mode under overload: while its only flow's outbox refuses frames (the stream cannot keep up),
/// the listener stops being read, so the kernel drops what does not fit in the socket's buffer instead of the relay
/// receiving, copying and then dropping it; reading resumes as soon as the connection's writer takes the waiting
/// frames (there is room again), and at every tick at the latest.
/// </summary>
/// <remarks>
/// <para>
/// Measured on a full-rate 1042-byte stream: the client received every datagram and dropped 44 % of them at the
/// full outbox, so almost half of its receive work (the most expensive part of its path) was wasted on datagrams
/// that never left. Paused, that work is not done; the stream waits in the socket's buffer (4 MiB) instead of the
/// outbox (256 KiB), which also lets a paced boot stream (<c>--boot-min-gap</c>) lose less. Datagrams the kernel
/// drops are not in the route's dropped counter.
/// </para>
/// <para>
/// Only with one flow: with several applications, one slow connection must not stop the others being read. A
/// pause lasts until the writer's current write completes, a tick (100 ms) at most.
/// </para>
/// <para>
/// Threading: <see cref="Refused"/> on the loop thread; <see cref="Room"/> from any thread. Pausing and resuming
/// (unregistering and registering the listener) happen on the loop thread, at the end of an iteration.
/// </para>
/// </remarks>
internal sealed class ListenerBackpressure
{
    private const int Reading = 0;
    private const int PauseQueued = 1;
    private const int Paused = 2;
    private const int ResumeQueued = 3;

    private readonly UdpEventLoop _loop;
    private readonly UdpSocket _listener;
    private readonly IUdpReceiver _receiver;
    private readonly Work _pause;
    private readonly Work _resume;
    private int _state;
    private long _pauses;

    public ListenerBackpressure(UdpEventLoop loop, UdpSocket listener, IUdpReceiver receiver)
    {
        _loop = loop;
        _listener = listener;
        _receiver = receiver;
        _pause = new Work(this, resume: false);
        _resume = new Work(this, resume: true);
    }

    /// <summary>Times the listener was paused.</summary>
    public long Pauses => Volatile.Read(ref _pauses);

    /// <summary>True while the listener is not being read.</summary>
    public bool IsPaused => Volatile.Read(ref _state) is Paused or ResumeQueued;

    /// <summary>Loop thread: the only flow's outbox refused frames in this batch; stop reading at the end of the iteration.</summary>
    public void Refused()
    {
        if (Interlocked.CompareExchange(ref _state, PauseQueued, Reading) == Reading && !_loop.Post(_pause))
        {
            Volatile.Write(ref _state, Reading); // the loop is stopping
        }
    }

    /// <summary>Any thread: the outbox has room again (or a tick came): read again.</summary>
    public void Room()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == PauseQueued)
            {
                if (Interlocked.CompareExchange(ref _state, Reading, PauseQueued) == PauseQueued)
                {
                    return; // room came before the pause: do not pause
                }
            }
            else if (state == Paused)
            {
                if (Interlocked.CompareExchange(ref _state, ResumeQueued, Paused) != Paused)
                {
                    continue;
                }

                if (_loop.IsLoopThread)
                {
                    Resume();
                }
                else if (!_loop.Post(_resume))
                {
                    Volatile.Write(ref _state, Reading); // the loop is stopping; nothing reads anyway
                }

                return;
            }
            else
            {
                return;
            }
        }
    }

    private void Pause()
    {
        if (Interlocked.CompareExchange(ref _state, Paused, PauseQueued) == PauseQueued)
        {
            _loop.Unregister(_listener);
            Interlocked.Increment(ref _pauses);
        }
    }

    private void Resume()
    {
        if (Interlocked.CompareExchange(ref _state, Reading, ResumeQueued) == ResumeQueued)
        {
            _loop.Register(_listener, _receiver);
        }
    }

    private sealed class Work(ListenerBackpressure owner, bool resume) : IUdpLoopWork
    {
        public void Execute(UdpEventLoop loop)
        {
            if (resume)
            {
                owner.Resume();
            }
            else
            {
                owner.Pause();
            }
        }
    }
}
