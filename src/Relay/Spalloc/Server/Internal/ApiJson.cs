using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

// The JSON the service exchanges, named as the Java service names it (kebab-case), serialized by the source-generated
// ApiJsonContext (no reflection: native AOT). Only what spinnman reads, plus the obvious neighbours.

internal sealed record VersionJson(int MajorVersion, int MinorVersion, int Revision);

internal sealed record ServiceDescriptionJson(VersionJson Version, string JobsRef, string MachinesRef, string CsrfHeader, string CsrfToken);

internal sealed record MachineBriefJson(string Name, IReadOnlyList<string> Tags, string Uri, int Width, int Height, IReadOnlyList<int[]> DeadBoards, IReadOnlyList<int[]> DeadLinks);

internal sealed record MachinesJson(IReadOnlyList<MachineBriefJson> Machines);

internal sealed record MachineJson(string Name, IReadOnlyList<string> Tags, int Width, int Height, IReadOnlyList<int[]> DownBoards, IReadOnlyList<int[]> DownLinks);

internal sealed record JobListJson(IReadOnlyList<string> Jobs);

internal sealed record JobStateJson(
    string State,
    string Owner,
    string StartTime,
    string? KeepaliveTime,
    string? KeepaliveHost,
    string? FinishTime,
    string? Reason,
    string KeepaliveRef,
    string MachineRef,
    string? ProxyRef,
    JsonElement? OriginalRequest);

internal sealed record BoardJson(int X, int Y, int Z, string Address);

/// <summary>One Ethernet connection, written as the service does: <c>[[x, y], "address"]</c>.</summary>
[JsonConverter(typeof(ConnectionJsonConverter))]
internal sealed record ConnectionJson(int X, int Y, string Address);

internal sealed record SubMachineJson(int Width, int Height, int Depth, string MachineName, IReadOnlyList<ConnectionJson> Connections, IReadOnlyList<BoardJson> Boards, string MachineRef);

internal sealed record CreateJobResponseJson(int JobId, string JobRef);

internal sealed record MessageJson(string Message);

internal sealed class CreateJobJson
{
    public string? Owner { get; set; }

    public string? Group { get; set; }

    public string? NmpiCollab { get; set; }

    public long? NmpiJobId { get; set; }

    public string? KeepaliveInterval { get; set; }

    public int? NumBoards { get; set; }

    public DimensionsJson? Dimensions { get; set; }

    public SpecificBoardJson? Board { get; set; }

    public string? MachineName { get; set; }

    public List<string?>? Tags { get; set; }

    public int? MaxDeadBoards { get; set; }
}

internal sealed class DimensionsJson
{
    public int Width { get; set; }

    public int Height { get; set; }
}

internal sealed class SpecificBoardJson
{
    public int? X { get; set; }

    public int? Y { get; set; }

    public int? Z { get; set; }

    public int? Cabinet { get; set; }

    public int? Frame { get; set; }

    public int? Board { get; set; }

    public string? Address { get; set; }
}

internal sealed class ConnectionJsonConverter : JsonConverter<ConnectionJson>
{
    public override ConnectionJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("connections are only written");

    public override void Write(Utf8JsonWriter writer, ConnectionJson value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        writer.WriteStartArray();
        writer.WriteNumberValue(value.X);
        writer.WriteNumberValue(value.Y);
        writer.WriteEndArray();
        writer.WriteStringValue(value.Address);
        writer.WriteEndArray();
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(ServiceDescriptionJson))]
[JsonSerializable(typeof(MachinesJson))]
[JsonSerializable(typeof(MachineJson))]
[JsonSerializable(typeof(JobListJson))]
[JsonSerializable(typeof(JobStateJson))]
[JsonSerializable(typeof(SubMachineJson))]
[JsonSerializable(typeof(CreateJobResponseJson))]
[JsonSerializable(typeof(MessageJson))]
[JsonSerializable(typeof(CreateJobJson))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
