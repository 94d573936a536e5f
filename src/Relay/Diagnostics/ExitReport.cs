using System.Text.Json;

namespace FastSpinnRelay.Relay.Diagnostics;

/// <summary>
/// What a `relay` process reports about itself at exit when the environment variable
/// <see cref="EnvironmentVariable"/> names a file: GC collections, bytes allocated and CPU seconds over the
/// whole life of the process, as <c>{"gc0":N,"gc1":N,"gc2":N,"allocatedBytes":N,"cpuSeconds":X}</c>.
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

    /// <summary>The figures of this process, now.</summary>
    public static ExitReport Capture() => new(
        GC.CollectionCount(0),
        GC.CollectionCount(1),
        GC.CollectionCount(2),
        GC.GetTotalAllocatedBytes(precise: true),
        Environment.CpuUsage.TotalTime.TotalSeconds);

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

            report = new ExitReport(g0, g1, g2, bytes, seconds);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
