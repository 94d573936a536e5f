using System.Threading.Tasks.Sources;

namespace FastSpinnRelay.Tunnel.Legacy.Internal;

/// <summary>
/// An auto-reset event for exactly one async waiter, allocation-free: <see cref="Set"/> from any thread wakes
/// the waiter (or makes its next <see cref="WaitAsync"/> complete at once); several sets before a wait count as one.
/// </summary>
/// <remarks>
/// The waiter's continuation never runs on the thread that calls <see cref="Set"/> (the UDP loop must not end up
/// writing to TCP): it is queued to the thread pool as this object itself (<see cref="IThreadPoolWorkItem"/>), so
/// a wake-up costs no allocation. A set while nobody waits costs one interlocked operation and no wake-up.
/// </remarks>
internal sealed class AsyncSignal : IValueTaskSource, IThreadPoolWorkItem
{
    private const int Idle = 0;
    private const int Signalled = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core; // continuations run inline, on the pool thread of Execute
    private int _state;

    /// <summary>Completes when <see cref="Set"/> has been called since the last wait returned. One waiter at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signalled) == Signalled)
        {
            return ValueTask.CompletedTask;
        }

        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
        {
            // Set between the two exchanges: consume it.
            Volatile.Write(ref _state, Idle);
            return ValueTask.CompletedTask;
        }

        return new ValueTask(this, _core.Version);
    }

    /// <summary>Wakes the waiter, or leaves the signal set for the next wait. Any thread; never blocks.</summary>
    public void Set()
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signalled:
                    return;
                case Idle when Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle:
                    return;
                case Waiting when Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting:
                    ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                    return;
                default:
                    continue; // the state moved under us; look again
            }
        }
    }

    void IThreadPoolWorkItem.Execute() => _core.SetResult(true);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
