namespace FastSpinnRelay.Relay.Bench;

/// <summary>What a bench cell drives through a path.</summary>
public enum BenchWorkloadKind
{
    /// <summary>One-way stream of stamped datagrams of one size, at full speed or a fixed rate.</summary>
    Stream,

    /// <summary>SCP VER requests with a fixed number outstanding, each answered by the responder.</summary>
    RequestResponse,
}

/// <summary>One workload: a stream of <see cref="Size"/>-byte datagrams, or request/response with <see cref="Window"/> outstanding.</summary>
public readonly record struct BenchWorkload(BenchWorkloadKind Kind, int Size, int Window)
{
    /// <summary>The names <c>--workloads</c> accepts: <c>stream</c> (one per <c>--sizes</c> entry), <c>rr1</c>, <c>rr8</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["stream", "rr1", "rr8"];

    public static BenchWorkload Stream(int size) => new(BenchWorkloadKind.Stream, size, 0);

    public static BenchWorkload RequestResponse(int window) => new(BenchWorkloadKind.RequestResponse, 0, window);

    /// <summary>Short name: <c>stream-282</c>, <c>rr8</c>.</summary>
    public string Name => Kind == BenchWorkloadKind.Stream ? $"stream-{Size}" : $"rr{Window}";

    /// <summary>A heading for the report.</summary>
    public string Title => Kind == BenchWorkloadKind.Stream
        ? $"one-way stream of {Size}-byte datagrams"
        : $"request/response (SCP VER), {Window} outstanding";
}
