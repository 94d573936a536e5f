namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// Stops reading a registered socket while what it feeds cannot take more, so that under overload the kernel drops
/// the excess at the socket's buffer instead of the relay receiving, copying and then dropping it; reading resumes
/// when the consumer says there is room (<see cref="Room"/>). Receiving is the most expensive part of a relay's path:
/// on two cores, a loop that keeps receiving what it will drop also takes the CPU its consumer needs to catch up.
/// </summary>
/// <remarks>
/// <para>
/// Users: the classic TCP client (its only flow's outbox is full; the stream waits in the socket's 4 MiB buffer
/// instead of the 256 KiB outbox) and the tunnel server's live-output flows (the session's latest queue overflows;
/// see <c>BoardFlow</c>). Datagrams the kernel drops while paused are not in the owner's dropped counter, only in
/// the socket's <see cref="UdpSocket.KernelReceiveDrops"/>, which the owners report (the classic route's "kernel drops"
/// counter, the tunnel's flow close log). The owner bounds a pause: it calls <see cref="Room"/> on
/// its own tick, or when the consumer goes away.
/// </para>
/// <para>
/// Threading: <see cref="Refused"/> on the loop thread; <see cref="Room"/> and <see cref="Stop"/> from any thread.
/// Pausing and resuming (unregistering and registering the socket) happen on the loop thread, at the end of an
/// iteration. After <see cref="Stop"/> nothing is registered again, so the owner may dispose the socket.
/// </para>
/// </remarks>
public sealed class ListenerBackpressure
{
    private const int Reading = 0;
    private const int PauseQueued = 1;
    private const int Paused = 2;
    private const int ResumeQueued = 3;
    private const int Stopped = 4;

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

    /// <summary>Loop thread: the consumer refused (or dropped) what this batch brought; stop reading at the end of the iteration.</summary>
    public void Refused()
    {
        if (Interlocked.CompareExchange(ref _state, PauseQueued, Reading) == Reading && !_loop.Post(_pause))
        {
            Volatile.Write(ref _state, Reading); // the loop is stopping
        }
    }

    /// <summary>Any thread: the consumer has room again (or a tick came): read again.</summary>
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

    /// <summary>Any thread: never pause or resume again (the owner is closing the socket). Idempotent.</summary>
    public void Stop() => Volatile.Write(ref _state, Stopped);

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
