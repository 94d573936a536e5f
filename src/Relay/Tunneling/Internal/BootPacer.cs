using System.Threading.Channels;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tunneling.Internal;

/// <summary>
/// Sends boot packets to the board with the spacing they had at the client: each packet waits its DATA frame's gap
/// (capped at <see cref="MaxGap"/>), and at least <c>minGap</c>, after the previous one. A retransmission burst after a
/// reconnect is therefore spread out again. Packets are copied into fixed slots and every gap is waited on one timer
/// made with the pacer (rearmed, never made again), and the sender waits for packets without a cancellation token
/// (disposal completes the queue instead), so pacing allocates nothing per packet, however many a channel carries.
/// </summary>
internal sealed class BootPacer : IDisposable
{
    /// <summary>Longest wait honoured for one gap (docs/tunnel-protocol.md §6).</summary>
    public static readonly TimeSpan MaxGap = TimeSpan.FromSeconds(1);

    /// <summary>Packets waiting at most (a boot is about 30; a full retransmission fits many times).</summary>
    public const int Capacity = 256;

    private const int SlotBytes = 1536;

    /// <summary>The shortest gap the timer can wait.</summary>
    private static readonly TimeSpan TimerResolution = TimeSpan.FromMilliseconds(1);

    private readonly UdpSocket _socket;
    private readonly TimeSpan _minGap;
    private readonly Channel<int> _queue = Channel.CreateBounded<int>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true });
    private readonly byte[] _slots = new byte[Capacity * SlotBytes];
    private readonly int[] _lengths = new int[Capacity];
    private readonly uint[] _gaps = new uint[Capacity];
    private readonly CancellationTokenSource _stop = new();
    private readonly AsyncSignal _gapElapsed = new();
    private readonly ITimer _gapTimer;
    private readonly Task _run;
    private readonly BoardChannelAcceptor _owner;
    private int _next;

    public BootPacer(UdpSocket socket, TimeSpan minGap, BoardChannelAcceptor owner)
    {
        _owner = owner;
        _socket = socket;
        _minGap = minGap;
        _gapTimer = TimeProvider.System.CreateTimer(static s => ((AsyncSignal)s!).Set(), _gapElapsed, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _run = Task.Run(RunAsync);
    }

    /// <summary>Copies one packet in; false when it is too large for a slot or all slots wait (the caller counts it).</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> packet, uint gapMicroseconds)
    {
        if (packet.Length > SlotBytes)
        {
            return false;
        }

        // Slots in use are those queued plus the one the reader may be sending: with at most Capacity - 2 queued,
        // the slot written Capacity writes ago (the next one) is free. One writer (the session's receive loop).
        if (_queue.Reader.Count >= Capacity - 2)
        {
            return false;
        }

        var slot = _next;
        packet.CopyTo(_slots.AsSpan(slot * SlotBytes, SlotBytes));
        _lengths[slot] = packet.Length;
        _gaps[slot] = gapMicroseconds;
        if (!_queue.Writer.TryWrite(slot)) // publishes the slot (a full barrier); fails only once disposed
        {
            return false;
        }

        _next = (slot + 1) % Capacity;
        return true;
    }

    /// <summary>Stops sending (what still waits is dropped with the channel); does not wait for the sender.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _queue.Writer.TryComplete();
        _gapElapsed.Set(); // ends a gap being waited
        _run.ContinueWith(static (_, state) => ((BootPacer)state!).ReleaseTimers(), this, CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void ReleaseTimers()
    {
        _gapTimer.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        var first = true;
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_queue.Reader.TryRead(out var slot))
            {
                var gap = TimeSpan.FromMicroseconds(_gaps[slot]);
                gap = gap > MaxGap ? MaxGap : gap < _minGap ? _minGap : gap;
                if (!first && gap >= TimerResolution) // a shorter gap is no wait, as Task.Delay rounds it down to 0 ms
                {
                    _gapTimer.Change(gap, Timeout.InfiniteTimeSpan);
                    await _gapElapsed.WaitAsync().ConfigureAwait(false);
                }

                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                first = false;
                if (_socket.Send(_slots.AsSpan(slot * SlotBytes, _lengths[slot])) == UdpStatus.Ok)
                {
                    _owner.CountBootSent();
                }
            }
        }
    }
}
