namespace FastSpinnRelay.Bench;

/// <summary>
/// Marks a benchmark (or every benchmark of a class) as a hot path: `bench/run-micro.sh` (through
/// <see cref="AllocationGate"/>) fails when MemoryDiagnoser measures more than <see cref="MaxBytesPerOperation"/>
/// bytes allocated per operation. The budget is 0 unless a benchmark has a reason to allocate.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = true)]
public sealed class HotPathAttribute : Attribute
{
    /// <summary>Largest allowed allocation per operation, in bytes. Default 0.</summary>
    public long MaxBytesPerOperation { get; init; }
}
