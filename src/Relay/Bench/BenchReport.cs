using System.Globalization;
using System.Text;
using System.Text.Json;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Bench;

/// <summary>Renders a <see cref="BenchRun"/>: the settings first, then one table per workload; or the same as JSON.</summary>
public static class BenchReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly string[] Header =
    [
        "path", "offered/s", "delivered/s", "MB/s", "loss %", "p50 µs", "p99 µs", "p99.9 µs",
        "CPU µs/dg", "GC", "B/dg", "×direct", "×C", "CPU ×C", "p50 ×C", "p99 ×C",
    ];

    private static readonly string[] TunnelHeader = ["tun B/dg", "LZ4 %"];

    /// <summary>The settings block printed before the first cell runs.</summary>
    public static void WriteSettings(TextWriter output, BenchRun run)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(run);
        var s = run.Settings;
        var m = run.Machine;
        output.WriteLine($"relay bench, {run.Started.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", Invariant)} UTC");
        Line(output, "paths", string.Join(", ", run.Paths));
        Line(output, "workloads", string.Join(", ", run.Workloads.Map(w => w.Name)));
        Line(output, "duration", $"{BenchSettings.Format(s.Duration)} per cell, after {BenchSettings.Format(s.Warmup)} warm-up; a fresh child per cell");
        if (s.Repeat > 1)
        {
            Line(output, "repeat", $"{s.Repeat} interleaved runs per cell; the median run is reported");
        }

        Line(output, "rate", s.Rate > 0 ? $"{s.Rate.ToString("N0", Invariant)} datagrams/s (streams)" : "full speed (streams)");
        if (s.Visualisers > 1)
        {
            Line(output, "visualisers", $"{s.Visualisers}: live output goes to the sink and {s.Visualisers - 1} more the bench reads; delivered, latency and CPU per datagram count the sink's");
        }
        if (run.Workloads.Any(w => w.Kind == BenchWorkloadKind.RequestResponse))
        {
            Line(output, "responder", s.IsLive
                ? $"{s.Target} (live: SCP VER only)"
                : s.Responder == "echo"
                    ? "in-bench echo (returns each request with the SDP reply flag cleared; not the board emulator)"
                    : "the board emulator, in this process (SCP VER replies, 48 bytes)");
            Line(output, "timeout", $"{BenchSettings.Format(s.RequestTimeout)} (a request unanswered this long is sent again)");
        }

        Line(output, "relay", run.RelayCommand);
        if (run.BaselineBinary is not null)
        {
            Line(output, "C baseline", run.BaselineBinary);
        }

        if (s.PeerCommand is not null)
        {
            Line(output, "peer", s.PeerCommand);
        }

        Line(output, "machine", $"{m.Cores} cores, {m.Cpu}, Linux {m.Kernel}, {m.Runtime}{(m.NativeAot ? " (native AOT)" : "")}");
        Line(output, "bench binary", m.Binary);
        output.WriteLine();
    }

    /// <summary>One table per workload, then the failures and notes.</summary>
    public static void WriteTables(TextWriter output, BenchRun run)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(run);
        // Where a path has more than one process (a chain, a tunnel), each one's share, for every path, so a chain's
        // relays compare with a hop's one.
        var byProcess = run.Cells.Any(c => c.CpuByProcess.Count > 1);
        foreach (var workload in run.Workloads)
        {
            var cells = run.Cells.Where(c => c.Workload == workload).ToList();
            if (cells.Count == 0)
            {
                continue;
            }

            output.WriteLine(workload.Title);
            // Tunnel columns only where a tunnel path ran.
            var tunnel = cells.Any(c => c.TunnelBytes is not null);
            var rows = new List<string[]> { tunnel ? [.. Header, .. TunnelHeader] : Header };
            rows.AddRange(cells.Select(c =>
            {
                var row = Row(c, Reference(cells, "direct"), Reference(cells, "c-baseline"));
                return tunnel ? [.. row, .. TunnelColumns(c)] : row;
            }));
            WriteAligned(output, rows);
            foreach (var cell in cells.Where(c => c.Ok && (c.Duplicates > 0 || c.Reordered > 0 || c.Timeouts > 0)))
            {
                output.WriteLine(workload.Kind == BenchWorkloadKind.Stream
                    ? $"  {cell.Path}: {cell.Duplicates:N0} duplicated, {cell.Reordered:N0} reordered"
                    : $"  {cell.Path}: {cell.Timeouts:N0} requests resent after a timeout, {cell.Duplicates:N0} stale replies");
            }

            if (byProcess)
            {
                foreach (var cell in cells.Where(c => c.Ok && c.CpuByProcess.Count > 0))
                {
                    output.WriteLine($"  {cell.Path} by process: {ByProcess(cell)}");
                }
            }

            output.WriteLine();
        }

        output.WriteLine("CPU µs/dg: the child's user+kernel CPU per datagram it relayed (= CPU seconds per million; a request and its reply count two).");
        output.WriteLine("GC, B/dg: the child's collections over its whole life, and the managed bytes it allocated per datagram beyond its own start-up (its exit report).");
        if (run.Cells.Any(c => c.TunnelBytes is not null))
        {
            output.WriteLine("tun B/dg: the tunnel's bytes (frames, both directions, both ends' exit reports) per datagram it carried; LZ4 %: live-output batch bytes LZ4 saved.");
        }

        if (byProcess)
        {
            output.WriteLine("by process: each child's CPU µs per datagram the path relayed, and the share of one core it used in the measured phase.");
        }

        output.WriteLine("×direct, ×C: delivered/s relative to the direct path and the C baseline in this run; CPU, p50, p99 ×C likewise.");
        foreach (var failed in run.Cells.Where(c => !c.Ok))
        {
            output.WriteLine($"FAILED {failed.Path} {failed.Workload.Name}: {failed.Error}");
        }
    }

    /// <summary>The whole run as JSON (UTF-8), the same figures as the tables.</summary>
    public static void WriteJson(Stream output, BenchRun run)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(run);
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        var s = run.Settings;
        json.WriteStartObject();
        json.WriteString("started", run.Started);
        json.WriteStartObject("settings");
        WriteStrings(json, "paths", run.Paths);
        WriteStrings(json, "workloads", run.Workloads.Map(w => w.Name));
        json.WriteNumber("durationSeconds", s.Duration.TotalSeconds);
        json.WriteNumber("warmupSeconds", s.Warmup.TotalSeconds);
        json.WriteNumber("rate", s.Rate);
        json.WriteNumber("visualisers", s.Visualisers);
        json.WriteNumber("repeat", s.Repeat);
        json.WriteNumber("requestTimeoutSeconds", s.RequestTimeout.TotalSeconds);
        json.WriteString("responder", s.IsLive ? "live" : s.Responder);
        WriteOptional(json, "target", s.Target);
        WriteOptional(json, "peerCommand", s.PeerCommand);
        json.WriteString("relay", run.RelayCommand);
        WriteOptional(json, "baseline", run.BaselineBinary);
        json.WriteEndObject();
        json.WriteStartObject("machine");
        json.WriteNumber("cores", run.Machine.Cores);
        json.WriteString("cpu", run.Machine.Cpu);
        json.WriteString("kernel", run.Machine.Kernel);
        json.WriteString("runtime", run.Machine.Runtime);
        json.WriteBoolean("nativeAot", run.Machine.NativeAot);
        json.WriteString("binary", run.Machine.Binary);
        json.WriteEndObject();
        json.WriteStartArray("results");
        foreach (var cell in run.Cells)
        {
            var peers = run.Cells.Where(c => c.Workload == cell.Workload).ToList();
            WriteCell(json, cell, Reference(peers, "direct"), Reference(peers, "c-baseline"));
        }

        json.WriteEndArray();
        json.WriteBoolean("succeeded", run.Succeeded);
        json.WriteEndObject();
    }

    private static void WriteCell(Utf8JsonWriter json, BenchCellResult c, BenchCellResult? direct, BenchCellResult? baseline)
    {
        json.WriteStartObject();
        json.WriteString("path", c.Path);
        json.WriteString("workload", c.Workload.Name);
        json.WriteString("kind", c.Workload.Kind == BenchWorkloadKind.Stream ? "stream" : "request-response");
        json.WriteNumber(c.Workload.Kind == BenchWorkloadKind.Stream ? "size" : "window", c.Workload.Kind == BenchWorkloadKind.Stream ? c.Workload.Size : c.Workload.Window);
        json.WriteBoolean("ok", c.Ok);
        WriteOptional(json, "error", c.Error);
        WriteOptional(json, "command", c.Command);
        WriteOptional(json, "responder", c.Responder);
        if (c.Ok)
        {
            json.WriteNumber("seconds", Math.Round(c.Seconds, 4));
            json.WriteNumber("offered", c.Offered);
            json.WriteNumber("delivered", c.Delivered);
            json.WriteNumber("offeredPerSecond", Math.Round(c.OfferedPerSecond));
            json.WriteNumber("deliveredPerSecond", Math.Round(c.DeliveredPerSecond));
            json.WriteNumber("megabytesPerSecond", Math.Round(c.MegabytesPerSecond, 3));
            json.WriteNumber("lossPercent", Math.Round(c.LossPercent, 4));
            json.WriteNumber("duplicates", c.Duplicates);
            json.WriteNumber("reordered", c.Reordered);
            if (c.ExtraVisualiserFewest is { } fewest)
            {
                // Over the child's whole life, as lifetimeDatagrams: what the extra visualiser that got fewest received.
                json.WriteNumber("extraVisualiserFewest", fewest);
            }

            json.WriteNumber("timeouts", c.Timeouts);
            json.WriteStartObject("latencyNanoseconds");
            json.WriteNumber("count", c.Latency.Count);
            json.WriteNumber("p50", c.Latency.P50);
            json.WriteNumber("p99", c.Latency.P99);
            json.WriteNumber("p999", c.Latency.P999);
            json.WriteNumber("max", c.Latency.Max);
            json.WriteNumber("mean", Math.Round(c.Latency.Mean));
            json.WriteEndObject();
            json.WriteNumber("relayedDatagrams", c.RelayedDatagrams);
            if (c.Runs.Count > 1)
            {
                json.WriteStartArray("runs");
                foreach (var figure in c.Runs)
                {
                    json.WriteNumberValue(Math.Round(figure, 3));
                }

                json.WriteEndArray();
            }

            if (c.CpuUserSeconds is { } user && c.CpuSystemSeconds is { } system)
            {
                json.WriteStartObject("cpu");
                json.WriteNumber("userSeconds", user);
                json.WriteNumber("systemSeconds", system);
                WriteOptional(json, "microsecondsPerDatagram", Round(c.CpuMicrosecondsPerDatagram, 3));
                json.WriteStartArray("processes");
                foreach (var process in c.CpuByProcess)
                {
                    json.WriteStartObject();
                    json.WriteString("process", process.Process);
                    json.WriteNumber("seconds", Math.Round(process.Seconds, 3));
                    WriteOptional(json, "microsecondsPerDatagram", Round(c.MicrosecondsPerDatagram(process), 3));
                    WriteOptional(json, "cores", Round(c.Cores(process), 3));
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            if (c.Exit is { } exit)
            {
                json.WriteStartObject("child");
                json.WriteNumber("gc0", exit.Gen0);
                json.WriteNumber("gc1", exit.Gen1);
                json.WriteNumber("gc2", exit.Gen2);
                json.WriteNumber("allocatedBytes", exit.AllocatedBytes);
                json.WriteNumber("cpuSeconds", exit.CpuSeconds);
                json.WriteNumber("lifetimeDatagrams", c.LifetimeDatagrams);
                if (c.StartupAllocatedBytes is { } startup)
                {
                    json.WriteNumber("startupAllocatedBytes", startup);
                }

                WriteOptional(json, "allocatedBytesPerDatagram", Round(c.AllocatedBytesPerDatagram, 4));
                json.WriteEndObject();
            }

            if (c.TunnelBytes is { } tunnelBytes)
            {
                json.WriteStartObject("tunnel");
                json.WriteNumber("bytes", tunnelBytes);
                WriteOptional(json, "datagrams", c.TunnelDatagrams);
                WriteOptional(json, "bytesPerDatagram", Round(c.TunnelBytesPerDatagram, 3));
                WriteOptional(json, "lz4SavingPercent", Round(c.Lz4SavingPercent, 2));
                json.WriteEndObject();
            }

            json.WriteStartObject("ratios");
            WriteOptional(json, "deliveredVsDirect", Round(Ratio(c.DeliveredPerSecond, direct?.DeliveredPerSecond), 4));
            WriteOptional(json, "deliveredVsBaseline", Round(Ratio(c.DeliveredPerSecond, baseline?.DeliveredPerSecond), 4));
            WriteOptional(json, "cpuVsBaseline", Round(Ratio(c.CpuMicrosecondsPerDatagram, baseline?.CpuMicrosecondsPerDatagram), 4));
            WriteOptional(json, "p50VsBaseline", Round(Ratio(c.Latency.P50, baseline?.Latency.P50), 4));
            WriteOptional(json, "p99VsBaseline", Round(Ratio(c.Latency.P99, baseline?.Latency.P99), 4));
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static string[] Row(BenchCellResult c, BenchCellResult? direct, BenchCellResult? baseline)
    {
        if (!c.Ok)
        {
            return [c.Path, "failed", "", "", "", "", "", "", "", "", "", "", "", "", "", ""];
        }

        return
        [
            c.Path,
            c.OfferedPerSecond.ToString("N0", Invariant),
            c.DeliveredPerSecond.ToString("N0", Invariant),
            c.MegabytesPerSecond.ToString(c.MegabytesPerSecond < 10 ? "0.00" : "0.0", Invariant),
            c.LossPercent.ToString(c.LossPercent is > 0 and < 0.1 ? "0.000" : "0.0", Invariant),
            Micros(c.Latency.P50),
            Micros(c.Latency.P99),
            Micros(c.Latency.P999),
            c.CpuMicrosecondsPerDatagram?.ToString("0.00", Invariant) ?? "-",
            c.Exit is { } exit ? exit.Gen0.ToString(Invariant) : "-",
            c.AllocatedBytesPerDatagram?.ToString("0.00", Invariant) ?? "-",
            Times(Ratio(c.DeliveredPerSecond, direct?.DeliveredPerSecond)),
            Times(Ratio(c.DeliveredPerSecond, baseline?.DeliveredPerSecond)),
            Times(Ratio(c.CpuMicrosecondsPerDatagram, baseline?.CpuMicrosecondsPerDatagram)),
            Times(Ratio(c.Latency.P50, baseline?.Latency.P50)),
            Times(Ratio(c.Latency.P99, baseline?.Latency.P99)),
        ];
    }

    /// <summary>"relay server 0.08 µs/dg (0.42 core), relay client 0.09 µs/dg (0.45 core)".</summary>
    private static string ByProcess(BenchCellResult c)
    {
        var parts = new List<string>(c.CpuByProcess.Count);
        foreach (var process in c.CpuByProcess)
        {
            var perDatagram = c.MicrosecondsPerDatagram(process)?.ToString("0.00", Invariant) ?? "-";
            var cores = c.Cores(process)?.ToString("0.00", Invariant) ?? "-";
            parts.Add($"{process.Process} {perDatagram} µs/dg ({cores} core)");
        }

        return string.Join(", ", parts);
    }

    private static string[] TunnelColumns(BenchCellResult c) =>
    [
        c.Ok ? c.TunnelBytesPerDatagram?.ToString("0.0", Invariant) ?? "-" : "",
        c.Ok ? c.Lz4SavingPercent?.ToString("0.0", Invariant) ?? "-" : "",
    ];

    private static BenchCellResult? Reference(IEnumerable<BenchCellResult> cells, string path) =>
        cells.FirstOrDefault(c => c.Path == path && c.Ok);

    private static double? Ratio(double? value, double? reference) =>
        value is { } v && reference is { } r && r > 0 ? v / r : null;

    private static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;

    private static string Times(double? ratio) => ratio is { } r ? r.ToString("0.00", Invariant) : "-";

    private static string Micros(long nanoseconds)
    {
        var us = nanoseconds / 1000.0;
        return us.ToString(us < 100 ? "0.0" : "N0", Invariant);
    }

    private static void WriteAligned(TextWriter output, List<string[]> rows)
    {
        var widths = new int[rows[0].Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        var line = new StringBuilder();
        foreach (var row in rows)
        {
            line.Clear();
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(i == 0 ? row[i].PadRight(widths[i]) : "  " + row[i].PadLeft(widths[i]));
            }

            output.WriteLine(line.ToString().TrimEnd());
        }
    }

    private static void Line(TextWriter output, string name, string value) => output.WriteLine($"  {name,-13}{value}");

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
