using System.Runtime.CompilerServices;

namespace FastSpinnRelay.Bench.Protocol;

/// <summary>Fails a benchmark's [GlobalSetup] when what it is about to measure does not give the expected result.</summary>
internal static class SetupCheck
{
    public static void That(bool condition, [CallerArgumentExpression(nameof(condition))] string what = "")
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Benchmark setup check failed: {what}");
        }
    }
}
