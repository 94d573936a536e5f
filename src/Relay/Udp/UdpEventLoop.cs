using System.Diagnostics;
using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// One dedicated thread that receives from its registered sockets, hands each batch to that socket's
/// <see cref="IUdpReceiver"/>, and flushes the sends the receivers queued — receive and forward on the same
/// thread, batched, with no allocation per datagram. Linux: level-triggered epoll, an eventfd for wake-ups and
/// recvmmsg/sendmmsg; elsewhere (or when forced) Socket.Select and a loopback wake socket.
/// </summary>
/// <remarks>
/// <para>Threading contract:</para>
/// <list type="bullet">
/// <item><see cref="Register"/>, <see cref="Unregister"/>, <see cref="Post"/>, <see cref="AddTickHandler"/>,
/// <see cref="RemoveTickHandler"/>, <see cref="Stop"/>, <see cref="Dispose"/>: any thread. Called on the loop
/// thread, (un)registration takes effect at once (so a tick handler may unregister and dispose a socket);
/// from another thread it is queued and applied at the loop's next iteration.</item>
/// <item>Receivers, posted work and tick handlers run on the loop thread, one at a time. An exception from
/// them is caught, counted in <see cref="CallbackFaults"/> and reported to the error sink; the loop goes on.</item>
/// <item>The loop does not own sockets: disposing the loop unregisters them but leaves them open.</item>
/// </list>
/// <para>
/// Each iteration: wait for readiness (until the next tick at most); for every ready socket read at most one
/// batch (so a flooding socket cannot starve others) and call its receiver; run queued commands and posted
/// work; run tick handlers when due; flush every socket that queued sends. A flush that finds the kernel send
/// buffer full keeps the rest queued and resumes when epoll reports the socket writable.
/// </para>
/// </remarks>
public sealed partial class UdpEventLoop : IDisposable
{
    /// <summary>Upper bound on the non-blocking polls of one spin, whatever the clock says.</summary>
    private const int MaxSpinPolls = 10_000;

    /// <summary>A poll and a yield that took longer than this (µs) mean another thread had the core: stop spinning.</summary>
    private const int ContendedGapMicroseconds = 50;

    private readonly UdpEventLoopOptions _options;
    private readonly Thread _thread;
    private readonly int _threadId;
    private readonly LoopPoller _poller;
    private readonly DatagramBatch _batch;
    private readonly ReadyEvent[] _events;

    // Guards the command queue, the stop flag and the claiming of wake-ups (the wake itself is written outside it).
    private readonly Lock _gate = new();
    private Queue<Command> _commands = new(64);
    private Queue<Command> _running = new(64);
    private int _commandsPending;
    private int _wakePending;
    private int _wakesInFlight;
    private bool _stopRequested;
    private bool _exited;

    // Loop thread only.
    private readonly List<Registration?> _registrations = [];
    private readonly Stack<int> _freeSlots = new();
    private readonly List<UdpSocket> _pendingFlush = [];
    private readonly List<IUdpTickHandler> _tickHandlers = [];
    private int _nextGeneration = 1;

    // The registration last removed without disposing its socket: registering the same socket and receiver again (a
    // route pausing and resuming its listener) reuses it rather than allocating one per resume.
    private Registration? _spare;

    private readonly long _spinTicks;
    private readonly long _contendedTicks = ContendedGapMicroseconds * Stopwatch.Frequency / 1_000_000;
    private bool _handledDatagrams;
    private SpinPolicy _spin;
    private long _spinHits;
    private long _iterations;
    private long _callbackFaults;
    private int _registeredCount;

    /// <summary>Starts the loop thread.</summary>
    public UdpEventLoop(UdpEventLoopOptions? options = null)
    {
        options ??= UdpEventLoopOptions.Default;
        options.Validate();
        _options = options;
        _batch = new DatagramBatch(options.BatchSize, options.SlotSize);
        _events = new ReadyEvent[options.MaxEventsPerWait];
        _spinTicks = (long)(options.SpinBeforeSleep.TotalSeconds * Stopwatch.Frequency);
        _poller = CreatePoller(options, out var usesEpoll);
        UsesEpoll = usesEpoll;
        _thread = new Thread(Run) { IsBackground = true, Name = options.Name };
        _threadId = _thread.ManagedThreadId;
        _thread.Start();
    }

    /// <summary>True when readiness comes from epoll (Linux, not forced portable).</summary>
    public bool UsesEpoll { get; }

    /// <summary>True on the loop's own thread.</summary>
    public bool IsLoopThread => Environment.CurrentManagedThreadId == _threadId;

    /// <summary>False once the loop thread has ended.</summary>
    public bool IsRunning => _thread.IsAlive;

    /// <summary>Loop iterations so far (one wait each). Any thread.</summary>
    public long Iterations => Volatile.Read(ref _iterations);

    /// <summary>
    /// Waits that found a socket ready while polling without blocking after handled datagrams
    /// (<see cref="UdpEventLoopOptions.SpinBeforeSleep"/>): sleeps and wake-ups avoided. Any thread.
    /// </summary>
    public long SpinHits => Volatile.Read(ref _spinHits);

    /// <summary>Exceptions thrown by receivers, posted work or tick handlers, all survived. Any thread.</summary>
    public long CallbackFaults => Volatile.Read(ref _callbackFaults);

    /// <summary>Sockets currently registered (as applied by the loop thread). Any thread.</summary>
    public int RegisteredCount => Volatile.Read(ref _registeredCount);

    /// <summary>
    /// Starts receiving from <paramref name="socket"/>, handing its batches to <paramref name="receiver"/>.
    /// </summary>
    /// <returns>False when the loop is stopping or stopped (nothing was registered).</returns>
    /// <exception cref="InvalidOperationException">The socket is already registered (here or with another loop).</exception>
    public bool Register(UdpSocket socket, IUdpReceiver receiver)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(receiver);
        if (Interlocked.CompareExchange(ref socket.Owner, this, null) is not null)
        {
            throw new InvalidOperationException($"Socket {socket} is already registered with a loop.");
        }

        if (IsLoopThread && !_exited)
        {
            ApplyRegister(socket, receiver);
            return true;
        }

        if (!Enqueue(new Command(CommandKind.Register, socket, receiver)))
        {
            socket.Owner = null;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Stops receiving from <paramref name="socket"/> and, when <paramref name="dispose"/> is set, disposes it on
    /// the loop thread once it is out of the poll set. On the loop thread this is immediate.
    /// </summary>
    /// <returns>False when the socket is not registered with this loop or the loop has stopped.</returns>
    public bool Unregister(UdpSocket socket, bool dispose = false)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (socket.Owner != this)
        {
            return false;
        }

        if (IsLoopThread && !_exited)
        {
            ApplyUnregister(socket, dispose);
            return true;
        }

        return Enqueue(new Command(CommandKind.Unregister, socket, null, dispose));
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the loop thread at its next iteration (also when called from the loop
    /// thread: never re-entrantly). Allocation-free for a reused work object.
    /// </summary>
    /// <returns>False when the loop is stopping or stopped (the work will not run).</returns>
    public bool Post(IUdpLoopWork work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return Enqueue(new Command(CommandKind.Post, null, work));
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the loop thread at its next iteration, as <see cref="Post"/> does, and completes
    /// once it has run, with its exception if it threw: for rare control work from another thread, such as re-pointing
    /// the loop's sockets after a reload. It allocates: not for anything done per datagram.
    /// </summary>
    /// <returns>
    /// A task that fails with <see cref="InvalidOperationException"/> when the loop stops before running the work.
    /// </returns>
    public Task InvokeAsync(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var invocation = new Invocation(work);
        if (!Post(invocation))
        {
            invocation.Abandon(this);
        }

        return invocation.Completion;
    }

    /// <summary>Adds a handler called every <see cref="UdpEventLoopOptions.TickInterval"/> on the loop thread.</summary>
    public bool AddTickHandler(IUdpTickHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Enqueue(new Command(CommandKind.AddTick, null, handler));
    }

    public bool RemoveTickHandler(IUdpTickHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Enqueue(new Command(CommandKind.RemoveTick, null, handler));
    }

    /// <summary>
    /// Asks the loop to stop and waits up to <see cref="UdpEventLoopOptions.StopTimeout"/> for its thread.
    /// Idempotent. On the loop thread it only asks (the loop ends after the current iteration).
    /// </summary>
    /// <returns>True when the thread has ended.</returns>
    public bool Stop()
    {
        bool wake;
        lock (_gate)
        {
            _stopRequested = true;
            wake = ClaimWakeLocked();
        }

        if (wake)
        {
            WakeClaimed();
        }

        return !IsLoopThread && _thread.Join(_options.StopTimeout);
    }

    /// <summary>Stops the loop (bounded by <see cref="UdpEventLoopOptions.StopTimeout"/>). Idempotent.</summary>
    public void Dispose() => Stop();

    public override string ToString() => _options.Name;

    /// <summary>Called by <see cref="UdpSocket"/> on the loop thread when it queues its first send of an iteration.</summary>
    internal void ScheduleFlush(UdpSocket socket)
    {
        Debug.Assert(IsLoopThread, "Queued sends on a registered socket belong to its loop thread.");
        socket.PendingFlush = true;
        _pendingFlush.Add(socket);
    }

    private static LoopPoller CreatePoller(UdpEventLoopOptions options, out bool usesEpoll)
    {
        usesEpoll = false;
        if (!options.UsePortablePoller && LinuxInterop.IsAvailable)
        {
            try
            {
                var poller = new EpollPoller(options.MaxEventsPerWait);
                usesEpoll = true;
                return poller;
            }
            catch (InvalidOperationException)
            {
                // No epoll here (e.g. a restricted sandbox): the portable poller still works.
            }
        }

        return new SelectPoller();
    }

    /// <summary>
    /// Queues <paramref name="command"/> and, from another thread, wakes the loop. The wake (a syscall) is written
    /// after the gate is released, so the loop thread never waits on the gate for a poster's syscall. No wake-up is
    /// lost: the pending flag is published before the wake is claimed, and the loop clears the wake flag with a full
    /// fence before it reads that flag (see <see cref="Run"/>), so either the claim finds the flag clear and wakes,
    /// or the loop sees the command.
    /// </summary>
    private bool Enqueue(in Command command)
    {
        bool wake;
        lock (_gate)
        {
            if (_stopRequested)
            {
                return false;
            }

            _commands.Enqueue(command);
            Volatile.Write(ref _commandsPending, 1);
            wake = !IsLoopThread && ClaimWakeLocked();
        }

        if (wake)
        {
            WakeClaimed();
        }

        return true;
    }

    /// <summary>
    /// Under <see cref="_gate"/>: true when the caller must write the wake-up (none is pending since the loop's last
    /// wait and the poller is still open). The claim is counted in <see cref="_wakesInFlight"/> until
    /// <see cref="WakeClaimed"/> ends it, so <see cref="Shutdown"/> does not dispose the poller under the write.
    /// </summary>
    private bool ClaimWakeLocked()
    {
        if (_exited || Interlocked.Exchange(ref _wakePending, 1) != 0)
        {
            return false;
        }

        Interlocked.Increment(ref _wakesInFlight);
        return true;
    }

    /// <summary>Writes a wake-up claimed by <see cref="ClaimWakeLocked"/>, outside the gate.</summary>
    private void WakeClaimed()
    {
        try
        {
            _poller.Wake();
        }
        finally
        {
            Interlocked.Decrement(ref _wakesInFlight);
        }
    }

    private void Fault(Exception exception)
    {
        Interlocked.Increment(ref _callbackFaults);
        if (_options.ErrorSink is { } sink)
        {
            try
            {
                sink.OnCallbackFault(this, exception);
            }
            catch (Exception)
            {
                // The sink itself failed; the fault is still counted.
            }
        }
    }

    private void ReportError(UdpSocket? socket, UdpOperation operation, int errorCode)
    {
        if (_options.ErrorSink is { } sink)
        {
            try
            {
                sink.OnSocketError(socket, operation, errorCode);
            }
            catch (Exception)
            {
                // Counted by the caller; nothing more to do.
            }
        }
    }

    /// <summary>Work of <see cref="InvokeAsync"/>: its task completes when it has run, or when the loop stops without running it.</summary>
    private sealed class Invocation(Action work) : IUdpLoopWork
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Completion => _done.Task;

        public void Execute(UdpEventLoop loop)
        {
            try
            {
                work();
                _done.TrySetResult();
            }
            catch (Exception e)
            {
                _done.TrySetException(e);
            }
        }

        public void Abandon(UdpEventLoop loop) =>
            _done.TrySetException(new InvalidOperationException($"The UDP loop {loop} has stopped; the work did not run."));
    }

    private enum CommandKind : byte
    {
        Register,
        Unregister,
        Post,
        AddTick,
        RemoveTick,
    }

    private readonly record struct Command(CommandKind Kind, UdpSocket? Socket, object? Target, bool Dispose = false);

    private sealed class Registration(UdpSocket socket, IUdpReceiver receiver)
    {
        public UdpSocket Socket { get; } = socket;

        public IUdpReceiver Receiver { get; } = receiver;

        /// <summary>Tells this registration's poll events from those of an earlier one in the same slot; new at every register.</summary>
        public int Generation { get; set; }
    }
}
