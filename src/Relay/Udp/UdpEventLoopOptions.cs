using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Udp;

/// <summary>How a <see cref="UdpEventLoop"/> runs. Immutable once built; <see cref="Validate"/> reports every problem at once.</summary>
public sealed record UdpEventLoopOptions
{
    public static UdpEventLoopOptions Default { get; } = new();

    /// <summary>Thread name, for debuggers and <c>top -H</c>. Default "udp-loop".</summary>
    public string Name { get; init; } = "udp-loop";

    /// <summary>Datagrams read per socket per iteration (one recvmmsg). Default 64, range 1-1024.</summary>
    public int BatchSize { get; init; } = DatagramBatch.DefaultCapacity;

    /// <summary>Receive slot size in bytes; longer datagrams are truncated and flagged. Default 2048, range 1-65507.</summary>
    public int SlotSize { get; init; } = DatagramBatch.DefaultSlotSize;

    /// <summary>How often tick handlers run. Default 100 ms, range 1 ms to 1 hour.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Readiness events taken per wait (epoll_wait maxevents). Default 256, range 1-4096. More ready sockets
    /// than this are served on the next iteration (epoll rotates them), so this only bounds work per iteration.
    /// </summary>
    public int MaxEventsPerWait { get; init; } = 256;

    /// <summary>
    /// After an iteration that handled datagrams, keep polling without blocking for up to this long before the
    /// loop sleeps in its wait: a reply that arrives meanwhile is read without a sleep and a wake-up. Default zero
    /// (always sleep at once), range 0 to 1 ms.
    /// </summary>
    public TimeSpan SpinBeforeSleep { get; init; }

    /// <summary>How long <see cref="UdpEventLoop.Stop"/> and Dispose wait for the thread. Default 5 s, range 0 to 5 min.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Use Socket.Select and a loopback wake socket instead of epoll and eventfd even on Linux. Default false.</summary>
    public bool UsePortablePoller { get; init; }

    /// <summary>Where unexpected loop errors and callback exceptions are reported. Default none (still counted).</summary>
    public IUdpErrorSink? ErrorSink { get; init; }

    public IReadOnlyList<string> GetProblems()
    {
        var problems = new List<string>();
        UdpSocketOptions.CheckRange(problems, nameof(BatchSize), BatchSize, 1, MessageBuffer.MaxCapacity);
        UdpSocketOptions.CheckRange(problems, nameof(SlotSize), SlotSize, 1, MessageBuffer.MaxSlotSize);
        UdpSocketOptions.CheckRange(problems, nameof(MaxEventsPerWait), MaxEventsPerWait, 1, 4096);
        UdpSocketOptions.CheckRange(problems, nameof(TickInterval) + " (ms)", (long)TickInterval.TotalMilliseconds, 1, 3_600_000);
        UdpSocketOptions.CheckRange(problems, nameof(SpinBeforeSleep) + " (µs)", SpinBeforeSleep.Ticks / 10, 0, 1000);
        UdpSocketOptions.CheckRange(problems, nameof(StopTimeout) + " (ms)", (long)StopTimeout.TotalMilliseconds, 0, 300_000);
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add($"{nameof(Name)} is empty");
        }

        return problems;
    }

    public void Validate()
    {
        var problems = GetProblems();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid UDP event loop options: " + string.Join("; ", problems));
        }
    }
}
