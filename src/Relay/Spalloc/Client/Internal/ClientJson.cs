using System.Text.Json.Serialization;

namespace FastSpinnRelay.Relay.Spalloc.Client.Internal;

// What the client reads and writes, kebab-case as the service; source-generated (no reflection: native AOT).
// Reading is lenient: unknown fields are ignored, everything optional is nullable.

internal sealed record ServiceRootDto(string? JobsRef, string? MachinesRef, string? CsrfHeader, string? CsrfToken);

internal sealed record MachineBriefDto(string? Name, List<string>? Tags, int Width, int Height);

internal sealed record MachinesDto(List<MachineBriefDto>? Machines);

internal sealed record JobListDto(List<string>? Jobs);

internal sealed record JobStateDto(string? State, string? Owner, string? ProxyRef, string? Reason, string? KeepaliveTime);

internal sealed record DimensionsDto(int Width, int Height);

internal sealed record BoardDto(int? X, int? Y, int? Z, int? Cabinet, int? Frame, int? Board, string? Address);

internal sealed record CreateJobDto(
    string KeepaliveInterval,
    int? NumBoards,
    DimensionsDto? Dimensions,
    BoardDto? Board,
    string? MachineName,
    List<string>? Tags,
    int? MaxDeadBoards);

internal sealed record MessageDto(string? Message);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ServiceRootDto))]
[JsonSerializable(typeof(MachinesDto))]
[JsonSerializable(typeof(JobListDto))]
[JsonSerializable(typeof(JobStateDto))]
[JsonSerializable(typeof(CreateJobDto))]
[JsonSerializable(typeof(MessageDto))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
