using System.Diagnostics;
using System.Globalization;
using System.Net;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Bench;

/// <summary>The outcome of a whole run: what was asked, where it ran, and one result per path and workload.</summary>
public sealed record BenchRun(
    BenchSettings Settings,
    BenchMachine Machine,
    string RelayCommand,
    string? BaselineBinary,
    DateTimeOffset Started,
    IReadOnlyList<BenchWorkload> Workloads,
    IReadOnlyList<string> Paths,
    IReadOnlyList<BenchCellResult> Cells)
{
    /// <summary>True when every cell ran and delivered something.</summary>
    public bool Succeeded => Cells.All(c => c.Ok);
}

/// <summary>
/// Runs every workload through every path: for each cell it starts the path (a fresh child, so its CPU, GC and
/// allocation figures belong to that cell alone), sends probes until one passes, warms up, measures, drains,
/// and stops the child with SIGTERM to collect its exit report. Generator, sink, client and responder live in
/// this process on their own threads.
/// </summary>
public sealed class BenchRunner
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan DrainQuiet = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(2);

    private readonly BenchSettings _settings;
    private readonly Action<string>? _progress;
    private readonly Dictionary<(string Path, BenchWorkload Workload), long?> _startupAllocations = [];

    /// <param name="settings">Validated settings (see <see cref="BenchSettings.GetProblems"/>).</param>
    /// <param name="progress">Called about four times a second with a one-line status, or null.</param>
    public BenchRunner(BenchSettings settings, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var problems = settings.GetProblems();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems), nameof(settings));
        }

        _settings = settings;
        _progress = progress;
    }

    /// <summary>Called once the settings are known, before the first cell (to print them first).</summary>
    public event Action<BenchRun>? Starting;

    /// <summary>Runs every cell. Cancellation stops the current cell, its child included, and throws.</summary>
    public BenchRun Run(CancellationToken cancel)
    {
        var environment = new BenchEnvironment(_settings);
        var workloads = _settings.ExpandWorkloads();
        var paths = _settings.ExpandPaths();
        var needsBaseline = paths.Contains("c-baseline");
        var run = new BenchRun(
            _settings,
            BenchMachine.Describe(),
            environment.RelayCommandLine,
            needsBaseline ? environment.BaselineBinary : null,
            DateTimeOffset.UtcNow,
            workloads,
            paths,
            []);
        Starting?.Invoke(run);

        var cells = new List<BenchCellResult>();
        foreach (var workload in workloads)
        {
            // Interleaved repeats (A B C, A B C, ...) so a slow spell of the machine hits every path alike.
            var runs = new List<BenchCellResult>();
            for (var repeat = 0; repeat < _settings.Repeat; repeat++)
            {
                foreach (var path in paths)
                {
                    cancel.ThrowIfCancellationRequested();
                    runs.Add(RunCell(environment, path, workload, cancel));
                }
            }

            cells.AddRange(paths.Select(path => Median(runs.Where(c => c.Path == path).ToList())));
        }

        return run with { Cells = cells };
    }

    /// <summary>
    /// The run to report among repeats of one cell: a failure if any run failed, else the median by delivered/s
    /// (at a fixed stream rate, where every path delivers the same, by CPU per datagram).
    /// </summary>
    private BenchCellResult Median(List<BenchCellResult> runs)
    {
        if (runs.FirstOrDefault(r => !r.Ok) is { } failed)
        {
            return failed;
        }

        if (runs.Count == 1)
        {
            return runs[0];
        }

        var byCpu = _settings.Rate > 0 && runs[0].Workload.Kind == BenchWorkloadKind.Stream && runs[0].CpuMicrosecondsPerDatagram is not null;
        double Figure(BenchCellResult r) => byCpu ? r.CpuMicrosecondsPerDatagram!.Value : r.DeliveredPerSecond;
        var ranked = new List<BenchCellResult>(runs);
        ranked.Sort((a, b) => Figure(a).CompareTo(Figure(b)));
        return ranked[ranked.Count / 2] with { Runs = runs.Map(Figure) };
    }

    private BenchCellResult RunCell(BenchEnvironment environment, string pathName, BenchWorkload workload, CancellationToken cancel)
    {
        try
        {
            var cell = workload.Kind == BenchWorkloadKind.Stream
                ? RunStream(environment, pathName, workload, cancel)
                : RunRequestResponse(environment, pathName, workload, cancel);
            return cell.Exit is null ? cell : cell with { StartupAllocatedBytes = StartupAllocation(environment, pathName, workload, cancel) };
        }
        catch (InvalidOperationException ex)
        {
            return new BenchCellResult { Path = pathName, Workload = workload, Error = ex.Message };
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            return new BenchCellResult { Path = pathName, Workload = workload, Error = $"socket error: {ex.Message}" };
        }
    }

    private BenchCellResult RunStream(BenchEnvironment environment, string pathName, BenchWorkload workload, CancellationToken cancel)
    {
        using var sink = new StreamSink();
        using var path = BenchPaths.Find(pathName).Start(environment, sink.Address, workload);
        using var generator = new StreamGenerator(path.Entry, workload.Size, path.LiveOutput);
        var cell = new BenchCellResult { Path = pathName, Workload = workload, Command = path.CommandLine, DatagramBytes = workload.Size };

        // Ready when a probe gets through (a child may bind its sockets after it starts).
        uint probe = 0;
        if (!WaitUntil(() => sink.Received > 0 || Exited(path), environment.StartTimeout, TimeSpan.FromMilliseconds(20), () => generator.Probe(probe++), cancel)
            || sink.Received == 0)
        {
            return cell with { Error = NothingPassed(path, environment) };
        }

        RunPhase(() => generator.Run(0x1000, _settings.Warmup, _settings.Rate), generator.RequestStop, null, cancel);
        Drain(() => sink.Received, cancel);

        var offeredBefore = generator.HandedToKernel;
        var cpuBefore = path.CpuOfEach();
        var seconds = RunPhase(
            () => generator.Run(StreamGenerator.MeasuredBase, _settings.Duration, _settings.Rate),
            generator.RequestStop,
            elapsed => Status(pathName, workload, elapsed, generator.Sent / Math.Max(elapsed, 1e-3), "sent/s"),
            cancel);
        Drain(() => sink.Received, cancel);
        var cpuAfter = path.CpuOfEach();
        var cpu = path.CpuBetween(cpuBefore, cpuAfter);
        var offered = generator.HandedToKernel - offeredBefore;
        var exit = path.Stop();
        sink.Dispose();

        var sequences = sink.Sequences;
        cell = cell with
        {
            Seconds = seconds,
            Offered = offered,
            Delivered = sequences.Unique,
            Duplicates = sequences.Duplicates,
            Reordered = sequences.Reordered,
            Latency = LatencySummary.From(sink.Latency),
            RelayedDatagrams = sequences.Unique,
            CpuUserSeconds = cpu?.UserSeconds,
            CpuSystemSeconds = cpu?.SystemSeconds,
            CpuByProcess = path.CpuOfEachBetween(cpuBefore, cpuAfter),
            Exit = exit,
            LifetimeDatagrams = sink.Received,
            ExtraVisualiserFewest = path.ExtraVisualisers?.FewestReceived,
        };
        return sequences.Unique > 0 ? cell : cell with { Error = "delivered nothing in the measured phase" };
    }

    private BenchCellResult RunRequestResponse(BenchEnvironment environment, string pathName, BenchWorkload workload, CancellationToken cancel)
    {
        IPEndPoint? live = null;
        if (_settings.IsLive && !BenchPaths.TryParseTarget(_settings.Target!, out live, out var targetError))
        {
            throw new InvalidOperationException(targetError);
        }

        using var responder = live is null ? NewResponder() : null;
        using var path = live is null
            ? BenchPaths.Find(pathName).Start(environment, responder!.Address, workload)
            : new RunningPath(UdpAddress.FromIPEndPoint(live), []);
        var bind = live is null || IPAddress.IsLoopback(live.Address) ? IPAddress.Loopback
            : live.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;
        using var client = new RequestResponseClient(new IPEndPoint(bind, 0), path.Entry, workload.Window, _settings.RequestTimeout);
        var cell = new BenchCellResult
        {
            Path = pathName,
            Workload = workload,
            Command = path.CommandLine,
            Responder = live is null ? responder!.Label : live.ToString(),
            DatagramBytes = client.RequestLength,
        };

        client.Start();
        if (!WaitUntil(() => client.Replies > 0 || Exited(path), environment.StartTimeout, TimeSpan.FromMilliseconds(20), null, cancel)
            || client.Replies == 0)
        {
            return cell with { Error = NothingPassed(path, environment) };
        }

        Sleep(_settings.Warmup, cancel);
        var cpuBefore = path.CpuOfEach();
        var repliesBefore = client.Replies;
        client.SetMeasuring(true);
        var started = Stopwatch.GetTimestamp();
        var end = started + (long)(_settings.Duration.TotalSeconds * Stopwatch.Frequency);
        var nextStatus = 0L;
        while (Stopwatch.GetTimestamp() < end)
        {
            cancel.ThrowIfCancellationRequested();
            Thread.Sleep(Math.Clamp((int)((end - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency), 0, 50));
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (_progress is not null && elapsed >= nextStatus * ProgressInterval.TotalSeconds)
            {
                nextStatus++;
                Status(pathName, workload, elapsed, (client.Replies - repliesBefore) / Math.Max(elapsed, 1e-3), "replies/s");
            }
        }

        client.SetMeasuring(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        client.StopSending();
        Drain(() => client.Replies, cancel);
        var cpuAfter = path.CpuOfEach();
        var cpu = path.CpuBetween(cpuBefore, cpuAfter);
        var exit = path.Stop();
        client.Dispose();

        cell = cell with
        {
            Seconds = seconds,
            Offered = client.MeasuredRequests,
            Delivered = client.MeasuredReplies,
            Timeouts = client.MeasuredTimeouts,
            Duplicates = client.Stale,
            Latency = LatencySummary.From(client.Latency),
            RelayedDatagrams = 2 * client.MeasuredReplies,
            CpuUserSeconds = cpu?.UserSeconds,
            CpuSystemSeconds = cpu?.SystemSeconds,
            CpuByProcess = path.CpuOfEachBetween(cpuBefore, cpuAfter),
            Exit = exit,
            LifetimeDatagrams = 2 * client.Replies,
        };
        return client.MeasuredReplies > 0 ? cell : cell with { Error = "no reply in the measured phase" };
    }

    /// <summary>
    /// What a path's child allocates just to start and pass one datagram of the workload (a probe, or one request
    /// and its reply), measured once per path and workload, so the per-datagram figure is not the start-up and
    /// first-use cost spread over the traffic. Null when it cannot be measured.
    /// </summary>
    private long? StartupAllocation(BenchEnvironment environment, string pathName, BenchWorkload workload, CancellationToken cancel)
    {
        if (_startupAllocations.TryGetValue((pathName, workload), out var known))
        {
            return known;
        }

        long? bytes = null;
        try
        {
            bytes = workload.Kind == BenchWorkloadKind.Stream
                ? StreamStartup(environment, pathName, workload, cancel)
                : RequestResponseStartup(environment, pathName, workload, cancel);
        }
        catch (InvalidOperationException)
        {
            // The cell itself already reports why this path cannot start.
        }

        _startupAllocations[(pathName, workload)] = bytes;
        return bytes;
    }

    private static long? StreamStartup(BenchEnvironment environment, string pathName, BenchWorkload workload, CancellationToken cancel)
    {
        using var sink = new StreamSink();
        using var path = BenchPaths.Find(pathName).Start(environment, sink.Address, workload);
        using var generator = new StreamGenerator(path.Entry, workload.Size, path.LiveOutput);
        uint probe = 0;
        return WaitUntil(() => sink.Received > 0 || Exited(path), environment.StartTimeout, TimeSpan.FromMilliseconds(20), () => generator.Probe(probe++), cancel)
            && sink.Received > 0 ? path.Stop()?.AllocatedBytes : null;
    }

    private long? RequestResponseStartup(BenchEnvironment environment, string pathName, BenchWorkload workload, CancellationToken cancel)
    {
        using var responder = NewResponder();
        using var path = BenchPaths.Find(pathName).Start(environment, responder.Address, workload);
        using var client = new RequestResponseClient(new IPEndPoint(IPAddress.Loopback, 0), path.Entry, 1, _settings.RequestTimeout);
        client.Start();
        return WaitUntil(() => client.Replies > 0 || Exited(path), environment.StartTimeout, TimeSpan.FromMilliseconds(5), null, cancel)
            && client.Replies > 0 ? path.Stop()?.AllocatedBytes : null;
    }

    private IResponder NewResponder() => _settings.Responder == "echo" ? new EchoResponder() : new EmulatorResponder();

    /// <summary>Runs a sending phase on a dedicated thread; returns its length in seconds.</summary>
    private double RunPhase(Action phase, Action stop, Action<double>? status, CancellationToken cancel)
    {
        var started = Stopwatch.GetTimestamp();
        var thread = new Thread(() => phase()) { IsBackground = true, Name = "bench-generator" };
        thread.Start();
        try
        {
            while (!thread.Join(ProgressInterval))
            {
                if (cancel.IsCancellationRequested)
                {
                    stop();
                    thread.Join();
                    cancel.ThrowIfCancellationRequested();
                }

                if (_progress is not null)
                {
                    status?.Invoke(Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
            }
        }
        finally
        {
            stop();
            thread.Join();
        }

        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private void Status(string path, BenchWorkload workload, double elapsed, double rate, string unit) =>
        _progress?.Invoke(string.Create(
            CultureInfo.InvariantCulture,
            $"{path} {workload.Name}: {elapsed:0.0}/{_settings.Duration.TotalSeconds:0.0} s, {rate:N0} {unit}"));

    private static bool Exited(RunningPath path) => path.AnyExited;

    private static string NothingPassed(RunningPath path, BenchEnvironment environment) => path.HasChildren
        ? path.AnyExited
            ? $"{path.CommandLine} exited before passing a datagram; its output: {path.RecentOutput()}"
            : $"nothing passed through {path.CommandLine} within {environment.StartTimeout.TotalSeconds:0.#} s; its output: {path.RecentOutput()}"
        : $"nothing came back within {environment.StartTimeout.TotalSeconds:0.#} s";

    /// <summary>Waits until <paramref name="counter"/> stops moving for a moment (bounded).</summary>
    private static void Drain(Func<long> counter, CancellationToken cancel)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(DrainLimit.TotalSeconds * Stopwatch.Frequency);
        var last = counter();
        var quietSince = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < deadline)
        {
            cancel.ThrowIfCancellationRequested();
            Thread.Sleep(10);
            var now = counter();
            if (now != last)
            {
                last = now;
                quietSince = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(quietSince) >= DrainQuiet)
            {
                return;
            }
        }
    }

    /// <summary>Polls <paramref name="done"/> every <paramref name="interval"/> (running <paramref name="each"/> first), up to <paramref name="timeout"/>.</summary>
    private static bool WaitUntil(Func<bool> done, TimeSpan timeout, TimeSpan interval, Action? each, CancellationToken cancel)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            cancel.ThrowIfCancellationRequested();
            each?.Invoke();
            if (done())
            {
                return true;
            }

            Thread.Sleep(interval);
        }

        return done();
    }

    private static void Sleep(TimeSpan time, CancellationToken cancel)
    {
        if (time > TimeSpan.Zero && cancel.WaitHandle.WaitOne(time))
        {
            cancel.ThrowIfCancellationRequested();
        }
    }
}
