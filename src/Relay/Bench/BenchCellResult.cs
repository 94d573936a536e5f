using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Tunneling;

namespace FastSpinnRelay.Relay.Bench;

/// <summary>Latency percentiles of one cell, in nanoseconds.</summary>
public readonly record struct LatencySummary(long Count, long P50, long P99, long P999, long Max, double Mean)
{
    public static LatencySummary From(LatencyHistogram histogram)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        return new(histogram.Count, histogram.Percentile(50), histogram.Percentile(99), histogram.Percentile(99.9), histogram.Max, histogram.Mean);
    }
}

/// <summary>One child's CPU (user + kernel seconds, its whole process tree) over a cell's measured phase.</summary>
/// <param name="Process">The child's label ("relay server", "relay tunnel connect", "udpfwd", "peer").</param>
/// <param name="Seconds">Its CPU seconds.</param>
public readonly record struct ProcessCpuShare(string Process, double Seconds);

/// <summary>
/// What one path did with one workload. Counts cover the measured phase only, except the exit report (the
/// child's whole life) and <see cref="LifetimeDatagrams"/> (every datagram it relayed, probes and warm-up
/// included), which together give bytes allocated per datagram as an upper bound.
/// </summary>
public sealed record BenchCellResult
{
    public required string Path { get; init; }

    public required BenchWorkload Workload { get; init; }

    /// <summary>Why the cell has no figures (the path failed to start or delivered nothing), or null.</summary>
    public string? Error { get; init; }

    /// <summary>The child's command line, or null for paths without one.</summary>
    public string? Command { get; init; }

    /// <summary>What answered requests: "echo" (the bench's stand-in), "emulator", or the live target.</summary>
    public string? Responder { get; init; }

    /// <summary>Measured seconds (the generator's or client's own clock).</summary>
    public double Seconds { get; init; }

    /// <summary>Datagrams sent in the measured phase (streams: accepted by the kernel; request/response: requests, resends included).</summary>
    public long Offered { get; init; }

    /// <summary>Stream: unique measured datagrams received; request/response: replies matched.</summary>
    public long Delivered { get; init; }

    /// <summary>Bytes per datagram: the stream size, or the request size for request/response.</summary>
    public int DatagramBytes { get; init; }

    public long Duplicates { get; init; }

    public long Reordered { get; init; }

    /// <summary>Request/response: requests resent after a timeout.</summary>
    public long Timeouts { get; init; }

    public LatencySummary Latency { get; init; }

    /// <summary>Datagrams the path relayed in the measured phase (a request and its reply count two).</summary>
    public long RelayedDatagrams { get; init; }

    /// <summary>Child CPU (user, kernel) over the measured phase and its drain; null without a child.</summary>
    public double? CpuUserSeconds { get; init; }

    public double? CpuSystemSeconds { get; init; }

    /// <summary>
    /// Each child's share of <see cref="CpuUserSeconds"/> + <see cref="CpuSystemSeconds"/>, in start order (a chain: its
    /// server, then its client); empty without children.
    /// </summary>
    public IReadOnlyList<ProcessCpuShare> CpuByProcess { get; init; } = [];

    /// <summary>The child's own report at exit (GC, allocations over its life); null when it wrote none.</summary>
    public ExitReport? Exit { get; init; }

    /// <summary>
    /// Bytes the same child allocates when it only starts and passes one probe (measured once per path and run),
    /// subtracted from <see cref="ExitReport.AllocatedBytes"/> for <see cref="AllocatedBytesPerDatagram"/>; null when unknown.
    /// </summary>
    public long? StartupAllocatedBytes { get; init; }

    /// <summary>Datagrams the child relayed over its life (for allocated bytes per datagram).</summary>
    public long LifetimeDatagrams { get; init; }

    /// <summary>
    /// With <c>--visualisers N</c> on a live-output path: the datagrams the extra visualiser that got fewest received
    /// over the child's life (compare with <see cref="LifetimeDatagrams"/>); null otherwise.
    /// </summary>
    public long? ExtraVisualiserFewest { get; init; }

    /// <summary>With --repeat: the ranking figure of every run of this cell (delivered/s, or CPU µs per datagram at a fixed rate).</summary>
    public IReadOnlyList<double> Runs { get; init; } = [];

    public bool Ok => Error is null;

    public double OfferedPerSecond => Seconds > 0 ? Offered / Seconds : 0;

    public double DeliveredPerSecond => Seconds > 0 ? Delivered / Seconds : 0;

    public double MegabytesPerSecond => DeliveredPerSecond * DatagramBytes / 1e6;

    /// <summary>Stream: offered but never delivered; request/response: timed-out requests over requests sent.</summary>
    public double LossPercent => Offered <= 0 ? 0
        : Workload.Kind == BenchWorkloadKind.Stream ? Math.Max(0, Offered - Delivered) * 100.0 / Offered
        : Timeouts * 100.0 / Offered;

    /// <summary>Child CPU µs per relayed datagram (numerically equal to CPU seconds per million datagrams).</summary>
    public double? CpuMicrosecondsPerDatagram =>
        CpuUserSeconds is { } user && CpuSystemSeconds is { } system && RelayedDatagrams > 0 ? (user + system) * 1e6 / RelayedDatagrams : null;

    /// <summary>CPU µs of one child per datagram the path relayed (as <see cref="CpuMicrosecondsPerDatagram"/>, for one process).</summary>
    public double? MicrosecondsPerDatagram(ProcessCpuShare process) => RelayedDatagrams > 0 ? process.Seconds * 1e6 / RelayedDatagrams : null;

    /// <summary>The share of one core a child used over the measured phase (0.5: half a core).</summary>
    public double? Cores(ProcessCpuShare process) => Seconds > 0 ? process.Seconds / Seconds : null;

    /// <summary>
    /// The child's managed bytes allocated per datagram it relayed: its whole-life allocation less its start-up
    /// allocation (<see cref="StartupAllocatedBytes"/>, or nothing when unknown, which makes this an upper bound).
    /// </summary>
    public double? AllocatedBytesPerDatagram =>
        Exit is { } exit && LifetimeDatagrams > 0
            ? Math.Max(0, exit.AllocatedBytes - (StartupAllocatedBytes ?? 0)) / (double)LifetimeDatagrams
            : null;

    /// <summary>
    /// Tunnel paths: bytes of tunnel frames in both directions over the children's life (each end's
    /// <see cref="TunnelExitCounters.BytesReceived"/>, added), or null for other paths.
    /// </summary>
    public long? TunnelBytes => Exit?.Counter(TunnelExitCounters.BytesReceived);

    /// <summary>Tunnel paths: datagrams the tunnel carried, both directions, over the children's life (<see cref="TunnelExitCounters.DatagramsReceived"/>).</summary>
    public long? TunnelDatagrams => Exit?.Counter(TunnelExitCounters.DatagramsReceived);

    /// <summary>
    /// The tunnel's bytes on the wire per datagram it carried: <see cref="TunnelBytes"/> over <see cref="TunnelDatagrams"/>
    /// (frame headers, acknowledgements and keepalive included, the handshake not; measured inside TLS when TLS is on);
    /// null when unknown.
    /// </summary>
    public double? TunnelBytesPerDatagram => BytesPer(TunnelBytes, TunnelDatagrams ?? 0);

    /// <summary>
    /// Percent of live-output batch bytes LZ4 saved (1 − wire ÷ raw over every BATCH frame), or null when no batch was
    /// sent compressed (compression off, or no batched traffic).
    /// </summary>
    public double? Lz4SavingPercent =>
        Exit is { } exit && exit.Counter(TunnelExitCounters.BatchesCompressed) > 0
        && exit.Counter(TunnelExitCounters.BatchRawBytes) is { } raw and > 0 && exit.Counter(TunnelExitCounters.BatchWireBytes) is { } wire
            ? (1 - (wire / (double)raw)) * 100
            : null;

    /// <summary><paramref name="bytes"/> ÷ <paramref name="datagrams"/>, or null when either is unknown or there were no datagrams.</summary>
    internal static double? BytesPer(long? bytes, long datagrams) => bytes is { } b && datagrams > 0 ? b / (double)datagrams : null;
}
