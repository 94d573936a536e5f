using BenchmarkDotNet.Running;

namespace FastSpinnRelay.Bench;

/// <summary>Entry point: `dotnet run -c Release --project bench/Micro -- --filter '*'`.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
