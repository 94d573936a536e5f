using System.Collections.Concurrent;
using System.Text.Json;

namespace FastSpinnRelay.Relay.Diagnostics;

/// <summary>
/// What a `relay` process reports about itself at exit when the environment variable
/// <see cref="EnvironmentVariable"/> names a file: GC collections, bytes allocated and CPU seconds over the
/// whole life of the process, as <c>{"gc0":N,"gc1":N,"gc2":N,"allocatedBytes":N,"cpuSeconds":X}</c>, plus
/// <c>"counters":{"name":N,...}</c> when the command recorded any (<see cref="Record"/>).
/// `relay bench` sets it on the relays it starts, so their GC and allocation figures come from inside.
/// </summary>
/// <param name="Gen0">Collections of generation 0 or higher (<see cref="GC.CollectionCount"/>(0) counts every collection).</param>
/// <param name="Gen1">Collections of generation 1 or higher.</param>
/// <param name="Gen2">Full (generation 2) collections.</param>
/// <param name="AllocatedBytes">Bytes allocated on the managed heap by every thread (<see cref="GC.GetTotalAllocatedBytes"/>, precise).</param>
/// <param name="CpuSeconds">User plus kernel CPU time of the process.</param>
public sealed record ExitReport(int Gen0, int Gen1, int Gen2, long AllocatedBytes, double CpuSeconds)
{
    /// <summary>The variable naming the report's file: <c>RELAY_EXIT_REPORT</c>.</summary>
    public const string EnvironmentVariable = "RELAY_EXIT_REPORT";

    private static readonly ConcurrentDictionary<string, long> Recorded = new(StringComparer.Ordinal);

    /// <summary>
    /// Named totals the command recorded before it exited (e.g. <c>tunnelBytesReceived</c>); empty when none. Names
    /// are the command's own; <see cref="Sum"/> adds them by name.
    /// </summary>
    public IReadOnlyDictionary<string, long> Counters { get; init; } = new Dictionary<string, long>();

    /// <summary>Records (or replaces) a named total for this process's report. Any thread.</summary>
    public static void Record(string name, long value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Recorded[name] = value;
    }

    /// <summary>Two processes' reports as one: every figure and every counter (by name) added.</summary>
    public static ExitReport Sum(ExitReport a, ExitReport b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var counters = new Dictionary<string, long>(a.Counters, StringComparer.Ordinal);
        foreach (var (name, value) in b.Counters)
        {
            counters[name] = counters.GetValueOrDefault(name) + value;
        }

        return new ExitReport(a.Gen0 + b.Gen0, a.Gen1 + b.Gen1, a.Gen2 + b.Gen2, a.AllocatedBytes + b.AllocatedBytes, a.CpuSeconds + b.CpuSeconds)
        {
            Counters = counters,
        };
    }

    /// <summary>Equal figures and equal counters (by name and value).</summary>
    public bool Equals(ExitReport? other) =>
        other is not null && Gen0 == other.Gen0 && Gen1 == other.Gen1 && Gen2 == other.Gen2 && AllocatedBytes == other.AllocatedBytes
        && CpuSeconds.Equals(other.CpuSeconds) && Counters.Count == other.Counters.Count
        && Counters.All(c => other.Counters.TryGetValue(c.Key, out var value) && value == c.Value);

    public override int GetHashCode() => HashCode.Combine(Gen0, Gen1, Gen2, AllocatedBytes, CpuSeconds, Counters.Count);

    /// <summary>A counter by name, or null when the process did not record it.</summary>
    public long? Counter(string name) => Counters.TryGetValue(name, out var value) ? value : null;

    /// <summary>The figures of this process, now.</summary>
    public static ExitReport Capture() => new(
        GC.CollectionCount(0),
        GC.CollectionCount(1),
        GC.CollectionCount(2),
        GC.GetTotalAllocatedBytes(precise: true),
        Environment.CpuUsage.TotalTime.TotalSeconds)
    {
        Counters = new Dictionary<string, long>(Recorded, StringComparer.Ordinal),
    };

    /// <summary>
    /// Writes the report when <see cref="EnvironmentVariable"/> is set; a failure to write is logged, never thrown,
    /// so it cannot change the exit code.
    /// </summary>
    public static void WriteIfRequested()
    {
        var path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }

        try
        {
            File.WriteAllBytes(path, Capture().ToJson());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            Log.Warn("exit-report", $"could not write {EnvironmentVariable} file {Log.Escape(path)}: {ex.Message}");
        }
    }

    /// <summary>The report as UTF-8 JSON.</summary>
    public byte[] ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("gc0", Gen0);
            json.WriteNumber("gc1", Gen1);
            json.WriteNumber("gc2", Gen2);
            json.WriteNumber("allocatedBytes", AllocatedBytes);
            json.WriteNumber("cpuSeconds", CpuSeconds);
            if (Counters.Count > 0)
            {
                json.WriteStartObject("counters");
                foreach (var (name, value) in Counters.OrderBy(c => c.Key, StringComparer.Ordinal))
                {
                    json.WriteNumber(name, value);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return stream.ToArray();
    }

    /// <summary>Reads a report; false (and null) when the text is not one.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out ExitReport? report)
    {
        report = null;
        try
        {
            var reader = new Utf8JsonReader(utf8);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("gc0", out var gc0) || !gc0.TryGetInt32(out var g0)
                || !root.TryGetProperty("gc1", out var gc1) || !gc1.TryGetInt32(out var g1)
                || !root.TryGetProperty("gc2", out var gc2) || !gc2.TryGetInt32(out var g2)
                || !root.TryGetProperty("allocatedBytes", out var alloc) || !alloc.TryGetInt64(out var bytes)
                || !root.TryGetProperty("cpuSeconds", out var cpu) || !cpu.TryGetDouble(out var seconds))
            {
                return false;
            }

            var counters = new Dictionary<string, long>(StringComparer.Ordinal);
            if (root.TryGetProperty("counters", out var named))
            {
                if (named.ValueKind != JsonValueKind.Object)
                {
                    return false;
                }

                foreach (var counter in named.EnumerateObject())
                {
                    if (!counter.Value.TryGetInt64(out var value))
                    {
                        return false;
                    }

                    counters[counter.Name] = value;
                }
            }

            report = new ExitReport(g0, g1, g2, bytes, seconds) { Counters = counters };
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a name or string that is not UTF-8, found only when it is read.
            return false;
        }
    }
}
