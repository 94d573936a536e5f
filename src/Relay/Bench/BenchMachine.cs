using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastSpinnRelay.Relay.Bench;

/// <summary>Where a run happened, for the report: absolute rates only compare within one machine and one run.</summary>
public sealed record BenchMachine(int Cores, string Kernel, string Cpu, string Runtime, bool NativeAot, string Binary)
{
    public static BenchMachine Describe() => new(
        Environment.ProcessorCount,
        ReadFirstLine("/proc/sys/kernel/osrelease") ?? RuntimeInformation.OSDescription,
        CpuModel(),
        RuntimeInformation.FrameworkDescription,
        !RuntimeFeature.IsDynamicCodeSupported,
        Environment.ProcessPath ?? "?");

    private static string CpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
                    {
                        return line[(colon + 1)..].Trim();
                    }
                }
            }
        }
        catch (IOException)
        {
            // Unknown is fine.
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string? ReadFirstLine(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).FirstOrDefault()?.Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
