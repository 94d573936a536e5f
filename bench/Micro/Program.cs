using BenchmarkDotNet.Running;

namespace FastSpinnRelay.Bench;

/// <summary>
/// Entry point: `dotnet run -c Release --project bench/Micro -- --filter '*'` (any BenchmarkDotNet arguments).
/// Exit code 1 when a benchmark marked <see cref="HotPathAttribute"/> allocated over its budget or failed
/// (see <see cref="AllocationGate"/>); bench/run-micro.sh relies on it.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args).ToList();
        return AllocationGate.Check(summaries, Console.Out) == 0 ? 0 : 1;
    }
}
