using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastSpinnRelay.Relay.Spalloc.Internal;

// The configuration file as written (kebab-case JSON, read by the source-generated ConfigJsonContext). Every field is
// optional here; SpallocConfigReader checks them all and reports every problem with its JSON path. Unknown keys land in
// Unknown and are reported too, so a misspelt key is never silently ignored.

internal sealed class ConfigFileDto
{
    public MachineDto? Machine { get; set; }

    public List<UserDto?>? Users { get; set; }

    public ServerDto? Server { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

internal sealed class MachineDto
{
    public string? Name { get; set; }

    public List<string?>? Tags { get; set; }

    public List<BoardDto?>? Boards { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

internal sealed class BoardDto
{
    public int[]? Triad { get; set; }

    public int[]? EthernetChip { get; set; }

    public int[]? Physical { get; set; }

    public string? Address { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

internal sealed class UserDto
{
    public string? Name { get; set; }

    public string? TokenHash { get; set; }

    public bool? Admin { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

internal sealed class ServerDto
{
    public string? UnboundAddress { get; set; }

    public string? PublicUrl { get; set; }

    public long? SendQueueBytes { get; set; }

    public string? StallTimeout { get; set; }

    public string? PingInterval { get; set; }

    public int? MaxChannelsPerWebsocket { get; set; }

    public int? BoardScpPort { get; set; }

    public int? MaxJobsPerUser { get; set; }

    public string? MaxKeepalive { get; set; }

    public string? SessionIdleTimeout { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Unknown { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.KebabCaseLower,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true)]
[JsonSerializable(typeof(ConfigFileDto))]
internal sealed partial class ConfigJsonContext : JsonSerializerContext;
