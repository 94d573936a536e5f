using System.Threading.Tasks.Sources;

namespace FastSpinnRelay.Tunnel;

/// <summary>
/// An auto-reset signal with one waiter, reusable without allocating: producers call <see cref="Set"/> from any
/// thread (cheap when already set), the single consumer awaits <see cref="WaitAsync"/>. <see cref="Set"/> runs the
/// consumer's continuation on the thread pool, never inline, so a busy producer is never hijacked to run the consumer
/// and what is set meanwhile is batched by the consumer's next pass. <see cref="SetAndRunWaiter"/> is for a producer
/// with nothing better to do: it runs a waiting consumer on its own thread and spares the wake-up of a pool thread.
/// </summary>
public sealed class AsyncSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Signalled = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    public void Set() => Signal(runWaiterHere: false);

    /// <summary>
    /// Like <see cref="Set"/>, except that a consumer already waiting resumes on this thread, before this returns (until
    /// its next await), instead of on the thread pool. At low rates a pool wake-up costs more than the work it carries
    /// (the tunnel at 100k datagrams/s in bursts of 20: about a third of its CPU). For a producer that holds no lock
    /// and has just drained its own input; when the consumer is busy this is <see cref="Set"/>.
    /// </summary>
    public void SetAndRunWaiter() => Signal(runWaiterHere: true);

    /// <summary>
    /// A run shorter than this is what a producer that has drained its input queues: 64 is the most messages one
    /// receive of the relay's UDP loop takes, so a run that fills it means more is waiting.
    /// </summary>
    public const int ShortRun = 64;

    /// <summary>
    /// Wakes the consumer for a run of <paramref name="count"/> items the caller queued (nothing when 0). A short run
    /// (<see cref="ShortRun"/>) is taken as a sign that the caller has nothing better to do: <see cref="SetAndRunWaiter"/>.
    /// A long one means it is busy, and the consumer runs on its own thread while the caller reads on: <see cref="Set"/>.
    /// Call it with no lock held.
    /// </summary>
    public void SetAfterRun(long count)
    {
        if (count > 0)
        {
            Signal(runWaiterHere: count < ShortRun);
        }
    }

    private void Signal(bool runWaiterHere)
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == Signalled)
            {
                return;
            }

            if (state == Idle)
            {
                if (Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle)
                {
                    return;
                }
            }
            else if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
            {
                // Only the winner of that exchange touches the core until the consumer's next WaitAsync.
                _core.RunContinuationsAsynchronously = !runWaiterHere;
                _core.SetResult(true);
                return;
            }
        }
    }

    /// <summary>Completes when <see cref="Set"/> has been called since the last wait; only one caller at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signalled) == Signalled)
        {
            return default;
        }

        _core.Reset();
        _core.RunContinuationsAsynchronously = true;
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Idle)
        {
            return new ValueTask(this, _core.Version);
        }

        Volatile.Write(ref _state, Idle); // it was set between the two exchanges
        return default;
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
