using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel.Legacy;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>A TCP flow whose framed datagrams wait in an outbox: the loop's side of it.</summary>
internal interface IStreamFlow
{
    /// <summary>Where the loop appends frames.</summary>
    FrameOutbox Outbox { get; }

    /// <summary>Loop thread: already in <see cref="StreamFlushes"/>' list for this iteration.</summary>
    bool FlushScheduled { get; set; }

    /// <summary>Writes what the outbox holds with one non-blocking send, or wakes the writer (see <c>LegacyStreamConnection.FlushOrWake</c>).</summary>
    void FlushOrWake();
}

/// <summary>
/// When the UDP loop writes the frames it appended to TCP flows: once per flow at the end of the loop iteration
/// (after every batch the iteration read, a coalesced train of up to 1024 datagrams included), or at once when half
/// the outbox is waiting, so the outbox never fills while the iteration goes on. The loop writes itself (one
/// non-blocking send); the connection's writer, a thread-pool task, is only woken for what the socket did not take.
/// </summary>
/// <remarks>
/// Fewer, larger TCP writes, and no cross-thread wake-up per batch: the writer used to be woken for every full batch
/// (a futex wake and a pool thread spinning in sched_yield), which cost the client more CPU than the writes. Latency:
/// a request still leaves in the iteration that read it (the end-of-iteration work runs before the loop waits again).
/// Loop thread only; one per route.
/// </remarks>
internal sealed class StreamFlushes(UdpEventLoop loop) : IUdpLoopWork
{
    private readonly List<IStreamFlow> _due = [];
    private bool _posted;

    /// <summary>Flows waiting for the end-of-iteration write (for tests).</summary>
    internal int Due => _due.Count;

    /// <summary>Frames were appended to <paramref name="flow"/>'s outbox, which now holds <paramref name="pendingBytes"/>.</summary>
    public void Appended(IStreamFlow flow, int pendingBytes)
    {
        if (pendingBytes >= flow.Outbox.Capacity / 2)
        {
            flow.FlushOrWake();
            return;
        }

        if (flow.FlushScheduled)
        {
            return;
        }

        if (!_posted)
        {
            if (!loop.Post(this))
            {
                flow.FlushOrWake(); // the loop is stopping: do not leave the frames waiting for an iteration that will not come
                return;
            }

            _posted = true;
        }

        flow.FlushScheduled = true;
        _due.Add(flow);
    }

    /// <summary>End of the loop iteration: write every flow appended to since the last call.</summary>
    public void Execute(UdpEventLoop loop)
    {
        _posted = false;
        foreach (var flow in _due)
        {
            flow.FlushScheduled = false;
            flow.FlushOrWake();
        }

        _due.Clear();
    }
}
