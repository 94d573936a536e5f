using System.Text.Json.Serialization;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

// The job state file (docs/spalloc-serve.md, "Jobs survive a restart"): kebab-case JSON written by the source-generated
// JobStateJsonContext (no reflection: native AOT). Boards are named by their triad [x, y, z], not by their place in the
// configuration, so reordering the configured boards keeps every job on its boards.

/// <summary>The whole file: every live job and the destroyed ones kept for listing.</summary>
internal sealed class JobStateDocument
{
    /// <summary>The format this server writes and reads.</summary>
    public const int CurrentFormat = 1;

    public int? Format { get; set; }

    /// <summary>The machine's name when written (informational: a renamed machine keeps its jobs).</summary>
    public string? Machine { get; set; }

    /// <summary>The highest job id handed out so far (the next job gets one more), so ids are never reused.</summary>
    public int? LastJobId { get; set; }

    /// <summary>Live jobs in id order, then destroyed ones, most recently destroyed first.</summary>
    public List<JobRecordJson?>? Jobs { get; set; }
}

/// <summary>One job as stored.</summary>
internal sealed class JobRecordJson
{
    public int? Id { get; set; }

    public string? Owner { get; set; }

    /// <summary>QUEUED, READY or DESTROYED.</summary>
    public string? State { get; set; }

    public DateTimeOffset? Created { get; set; }

    public TimeSpan? KeepaliveInterval { get; set; }

    public DateTimeOffset? LastKeepalive { get; set; }

    public string? KeepaliveHost { get; set; }

    public JobRequestJson? Request { get; set; }

    /// <summary>While READY: the boards held, as triads [x, y, z].</summary>
    public List<int[]?>? Boards { get; set; }

    /// <summary>While READY: the job's root chip [x, y] (global chip coordinates).</summary>
    public int[]? RootChip { get; set; }

    /// <summary>While READY: width and height in chips.</summary>
    public int[]? SizeChips { get; set; }

    /// <summary>While READY: 1 for one board, 3 for whole triads.</summary>
    public int? Depth { get; set; }

    public DateTimeOffset? Finished { get; set; }

    public string? Reason { get; set; }

    public string? OriginalRequest { get; set; }
}

/// <summary>What boards the job asked for: <c>any-one</c>, <c>board</c> (a triad) or <c>rectangle</c> (triads, optionally rooted).</summary>
internal sealed class JobRequestJson
{
    public string? Kind { get; set; }

    public int[]? Board { get; set; }

    public int? Width { get; set; }

    public int? Height { get; set; }

    public int[]? Root { get; set; }

    public int? Tolerance { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(JobStateDocument))]
internal sealed partial class JobStateJsonContext : JsonSerializerContext;
