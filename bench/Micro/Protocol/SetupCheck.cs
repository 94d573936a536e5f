using System.Runtime.CompilerServices;

namespace FastSpinnRelay.Bench.Protocol;

/// <summary>Fails a benchmark's GlobalSetup when the prepared data is not what the benchmark claims to measure.</summary>
internal static class SetupCheck
{
    public static void That(bool condition, [CallerArgumentExpression(nameof(condition))] string? what = null)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Benchmark setup check failed: {what}");
        }
    }
}
