using System.Globalization;

namespace FastSpinnRelay.Relay.Bench;

/// <summary>Everything a `relay bench` run is told; <see cref="GetProblems"/> reports every bad value at once.</summary>
public sealed record BenchSettings
{
    /// <summary>Datagram sizes of the stream workload by default: EIEIO, the largest SCP packet, a boot packet.</summary>
    public static IReadOnlyList<int> DefaultSizes { get; } = [24, 282, 1042];

    /// <summary>Smallest stream datagram: the 12-byte stamp.</summary>
    public const int MinSize = BenchPayload.StampLength;

    /// <summary>Largest stream datagram: one receive slot of the UDP engine.</summary>
    public const int MaxSize = Udp.DatagramBatch.DefaultSlotSize;

    /// <summary>Path names, in order; null means <see cref="BenchPaths.DefaultNames"/>.</summary>
    public IReadOnlyList<string>? Paths { get; init; }

    /// <summary>Workload names (<see cref="BenchWorkload.Names"/>); null means all (live mode: rr1 and rr8).</summary>
    public IReadOnlyList<string>? Workloads { get; init; }

    /// <summary>Stream datagram sizes in bytes, 12 to 2048. Default 24, 282, 1042.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = DefaultSizes;

    /// <summary>Measured time per cell (path x workload). Default 3 s; 10 ms to 1 h.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Unmeasured traffic before each cell's measurement (JIT tiering, buffers, flows). Default 1 s; 0 to 10 min.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Runs of every cell, interleaved (all paths once, then again), reporting the median run; 1 to 20, default 1.
    /// On a shared machine, where rates swing between runs, 3 or 5 make the comparison much steadier.
    /// </summary>
    public int Repeat { get; init; } = 1;

    /// <summary>Stream datagrams per second; 0 (the default) sends at full speed.</summary>
    public long Rate { get; init; }

    /// <summary>
    /// Visualisers a live-output stream goes to (tunnel and spalloc-live paths): the sink and <c>N - 1</c> more the
    /// bench reads and counts; 1 to 8, default 1. Delivered, latency and CPU per datagram stay those of the sink's
    /// datagrams (the board's output), so the extra CPU is what the fan-out costs.
    /// </summary>
    public int Visualisers { get; init; } = 1;

    /// <summary>Live mode: a running relay (or board) as HOST:PORT; SCP VER request/response only, no children.</summary>
    public string? Target { get; init; }

    /// <summary>Command line of another relay for the <c>peer</c> path, with <see cref="PortPlaceholders"/> in it.</summary>
    public string? PeerCommand { get; init; }

    /// <summary>The relay binary to run children with; default: this one.</summary>
    public string? RelayBinary { get; init; }

    /// <summary>The C baseline forwarder (udpfwd); default: found next to the relay or built from bench/baseline.</summary>
    public string? BaselineBinary { get; init; }

    /// <summary>Where to write JSON: null for none, "-" for standard output, else a file.</summary>
    public string? JsonOutput { get; init; }

    /// <summary>
    /// Request/response: what answers, <c>emulator</c> (the board emulator answering SCP VER, the default) or
    /// <c>echo</c> (returns each request with the reply flag cleared; cheaper, batched, for measuring relays alone).
    /// </summary>
    public string Responder { get; init; } = "emulator";

    /// <summary>The most <see cref="Visualisers"/>.</summary>
    public const int MaxVisualisers = 8;

    /// <summary>The names <see cref="Responder"/> accepts.</summary>
    public static IReadOnlyList<string> Responders { get; } = ["emulator", "echo"];

    /// <summary>Request/response: resend a request unanswered for this long. Default 100 ms.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a path may take to start and pass its first datagram. Default 10 s.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>True in live mode (<see cref="Target"/> set).</summary>
    public bool IsLive => Target is not null;

    /// <summary>Every problem with these settings, one readable line each; empty when they are fine.</summary>
    public IReadOnlyList<string> GetProblems()
    {
        var problems = new List<string>();
        if (Duration < TimeSpan.FromMilliseconds(10) || Duration > TimeSpan.FromHours(1))
        {
            problems.Add($"--duration {Format(Duration)} is out of range (10ms to 1h)");
        }

        if (Warmup < TimeSpan.Zero || Warmup > TimeSpan.FromMinutes(10))
        {
            problems.Add($"--warmup {Format(Warmup)} is out of range (0 to 10m)");
        }

        if (Repeat is < 1 or > 20)
        {
            problems.Add($"--repeat {Repeat} is out of range (1 to 20)");
        }

        if (Rate < 0 || Rate > 100_000_000)
        {
            problems.Add($"--rate {Rate} is out of range (0 = full speed, up to 100000000 datagrams/s)");
        }

        if (Visualisers is < 1 or > MaxVisualisers)
        {
            problems.Add($"--visualisers {Visualisers} is out of range (1 to {MaxVisualisers})");
        }

        if (RequestTimeout < TimeSpan.FromMilliseconds(1) || RequestTimeout > TimeSpan.FromSeconds(10))
        {
            problems.Add($"--timeout {Format(RequestTimeout)} is out of range (1ms to 10s)");
        }

        if (!Responders.Contains(Responder))
        {
            problems.Add($"unknown responder '{Responder}' (known: {string.Join(", ", Responders)})");
        }

        if (Sizes.Count == 0)
        {
            problems.Add("--sizes needs at least one size");
        }

        foreach (var size in Sizes)
        {
            if (size is < MinSize or > MaxSize)
            {
                problems.Add($"--sizes {size} is out of range ({MinSize} to {MaxSize} bytes)");
            }
        }

        foreach (var name in Workloads ?? [])
        {
            if (!BenchWorkload.Names.Contains(name))
            {
                problems.Add($"unknown workload '{name}' (known: {string.Join(", ", BenchWorkload.Names)})");
            }
            else if (IsLive && name == "stream")
            {
                problems.Add("--target drives SCP VER request/response only (rr1, rr8): a stream could flood a real board");
            }
        }

        if (Workloads is { Count: 0 })
        {
            problems.Add("--workloads needs at least one workload");
        }

        if (IsLive)
        {
            if (!BenchPaths.TryParseTarget(Target!, out _, out var targetError))
            {
                problems.Add(targetError!);
            }

            if (Paths is not null)
            {
                problems.Add("--target measures the relay already running there; it cannot be combined with --paths");
            }
        }

        foreach (var path in Paths ?? [])
        {
            if (!BenchPaths.All.Any(p => p.Name == path))
            {
                problems.Add($"unknown path '{path}' (known: {string.Join(", ", BenchPaths.All.Select(p => p.Name))})");
            }
        }

        if (Paths is { Count: 0 })
        {
            problems.Add("--paths needs at least one path");
        }

        if (Paths is not null && Paths.Distinct().Count() != Paths.Count)
        {
            problems.Add("--paths names a path twice");
        }

        if (Paths?.Contains("peer") == true && string.IsNullOrWhiteSpace(PeerCommand))
        {
            problems.Add("the peer path needs --peer-cmd '...'");
        }

        if (PeerCommand is not null && PortPlaceholders.Check(PeerCommand) is { } placeholderError)
        {
            problems.Add($"--peer-cmd: {placeholderError}");
        }

        return problems;
    }

    /// <summary>The workloads to run, in order (streams expanded per size).</summary>
    public IReadOnlyList<BenchWorkload> ExpandWorkloads()
    {
        var names = Workloads ?? (IsLive ? ["rr1", "rr8"] : BenchWorkload.Names);
        var list = new List<BenchWorkload>();
        foreach (var name in names.Distinct())
        {
            switch (name)
            {
                case "stream":
                    var seen = new HashSet<int>();
                    foreach (var size in Sizes)
                    {
                        if (seen.Add(size))
                        {
                            list.Add(BenchWorkload.Stream(size));
                        }
                    }

                    break;
                case "rr1":
                    list.Add(BenchWorkload.RequestResponse(1));
                    break;
                case "rr8":
                    list.Add(BenchWorkload.RequestResponse(8));
                    break;
            }
        }

        return list;
    }

    /// <summary>The paths to run: the named ones, or the defaults (plus <c>peer</c> when a peer command is given).</summary>
    public IReadOnlyList<string> ExpandPaths()
    {
        if (IsLive)
        {
            return [BenchPaths.LiveName];
        }

        if (Paths is not null)
        {
            return Paths;
        }

        return PeerCommand is null ? BenchPaths.DefaultNames : [.. BenchPaths.DefaultNames, "peer"];
    }

    internal static string Format(TimeSpan t) =>
        t.TotalSeconds >= 1 ? $"{t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s" : $"{t.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)}ms";
}
