using System.Reflection;
using BenchmarkDotNet.Reports;

namespace FastSpinnRelay.Bench;

/// <summary>
/// Checks finished summaries against the <see cref="HotPathAttribute"/> budgets: a hot-path benchmark that
/// allocated more than its budget per operation, or that failed, or whose allocation was not measured (no
/// MemoryDiagnoser), is a violation. Prints one line per hot-path benchmark and returns the violations.
/// </summary>
public static class AllocationGate
{
    public static int Check(IEnumerable<Summary> summaries, TextWriter output)
    {
        var violations = 0;
        var checkedCount = 0;
        foreach (var summary in summaries)
        {
            foreach (var benchmark in summary.BenchmarksCases)
            {
                var method = benchmark.Descriptor.WorkloadMethod;
                var hotPath = method.GetCustomAttribute<HotPathAttribute>() ?? method.DeclaringType?.GetCustomAttribute<HotPathAttribute>();
                if (hotPath is null)
                {
                    continue;
                }

                checkedCount++;
                var name = benchmark.Descriptor.DisplayInfo + (benchmark.HasParameters ? " " + benchmark.Parameters.DisplayInfo : "");
                var report = summary[benchmark];
                if (report is null || !report.Success)
                {
                    output.WriteLine($"alloc-gate: FAIL {name}: the benchmark did not run successfully");
                    violations++;
                    continue;
                }

                var bytes = report.GcStats.GetBytesAllocatedPerOperation(benchmark);
                if (bytes is null)
                {
                    output.WriteLine($"alloc-gate: FAIL {name}: allocation not measured (add [MemoryDiagnoser])");
                    violations++;
                }
                else if (bytes > hotPath.MaxBytesPerOperation)
                {
                    output.WriteLine($"alloc-gate: FAIL {name}: {bytes} B allocated per operation, budget {hotPath.MaxBytesPerOperation} B");
                    violations++;
                }
                else
                {
                    output.WriteLine($"alloc-gate: ok   {name}: {bytes} B per operation (budget {hotPath.MaxBytesPerOperation} B)");
                }
            }
        }

        output.WriteLine($"alloc-gate: {checkedCount} hot-path benchmark(s) checked, {violations} over budget or failed");
        return violations;
    }
}
