using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Spalloc.Internal;
using FastSpinnRelay.Relay.Spalloc.Server;

namespace FastSpinnRelay.Relay.Spalloc;

/// <summary>
/// Reads and checks a <c>relay spalloc serve</c> configuration file (JSON, kebab-case keys, comments and trailing
/// commas allowed). Every problem is reported, each naming its field (<c>machine.boards[2].address: …</c>); a JSON
/// syntax or type error stops reading at that point and is reported with its line.
/// </summary>
public static class SpallocConfigReader
{
    /// <summary>Largest configuration file read (1 MiB): a machine of thousands of boards fits easily.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Reads <paramref name="path"/>. On failure <paramref name="problems"/> has one line per problem.</summary>
    public static bool TryRead(string path, out SpallocConfig? config, out IReadOnlyList<string> problems)
    {
        config = null;
        string text;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > MaxFileBytes)
            {
                problems = [$"{info.Length} bytes is larger than the {MaxFileBytes}-byte limit"];
                return false;
            }

            text = BoundedFile.ReadText(path, MaxFileBytes); // also what reports no size, such as /dev/zero
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problems = [$"cannot read: {ex.Message}"];
            return false;
        }

        return TryParse(text, out config, out problems);
    }

    /// <summary>Parses configuration text (see <see cref="TryRead"/>).</summary>
    public static bool TryParse(string json, out SpallocConfig? config, out IReadOnlyList<string> problems)
    {
        config = null;
        ConfigFileDto? file;
        try
        {
            file = JsonSerializer.Deserialize(json, ConfigJsonContext.Default.ConfigFileDto);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $"line {line + 1}: " : "";
            var path = string.IsNullOrEmpty(ex.Path) ? "" : $"{ex.Path.TrimStart('$', '.')}: ";
            problems = [$"{where}{path}not valid here ({FirstSentence(ex.Message)})"];
            return false;
        }

        var found = new List<string>();
        if (file is null)
        {
            problems = ["the file holds no JSON object"];
            return false;
        }

        Unknown(found, "", file.Unknown);
        var machine = ReadMachine(found, file.Machine);
        var users = ReadUsers(found, file.Users);
        var server = ReadServer(found, file.Server);
        found.AddRange(server.GetProblems().Where(p => p.StartsWith("server.", StringComparison.Ordinal)));
        problems = found;
        if (found.Count > 0)
        {
            return false;
        }

        config = new SpallocConfig(machine!, users, server);
        return true;
    }

    private static SpallocMachine? ReadMachine(List<string> problems, MachineDto? dto)
    {
        if (dto is null)
        {
            problems.Add("machine: missing (the machine's name and boards)");
            return null;
        }

        Unknown(problems, "machine", dto.Unknown);
        var name = dto.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            problems.Add("machine.name: must be 1-64 letters, digits, '-', '_' or '.'");
        }

        var tags = new List<string>();
        for (var i = 0; i < (dto.Tags?.Count ?? 0); i++)
        {
            if (string.IsNullOrWhiteSpace(dto.Tags![i]))
            {
                problems.Add($"machine.tags[{i}]: must not be blank");
            }
            else
            {
                tags.Add(dto.Tags[i]!.Trim());
            }
        }

        if (dto.Tags is null)
        {
            tags.Add("default");
        }

        var boards = new List<SpallocBoard>();
        var indexed = new List<(int Index, SpallocBoard Board)>();
        if (dto.Boards is null || dto.Boards.Count == 0)
        {
            problems.Add("machine.boards: must list at least one board");
        }
        else
        {
            for (var i = 0; i < dto.Boards.Count; i++)
            {
                if (ReadBoard(problems, $"machine.boards[{i}]", dto.Boards[i]) is { } board)
                {
                    CheckUnique(problems, $"machine.boards[{i}]", board, indexed);
                    boards.Add(board);
                    indexed.Add((i, board));
                }
            }
        }

        return new SpallocMachine(name ?? "", tags, boards);
    }

    private static SpallocBoard? ReadBoard(List<string> problems, string at, BoardDto? dto)
    {
        if (dto is null)
        {
            problems.Add($"{at}: must be an object with \"triad\" or \"ethernet-chip\", and \"address\"");
            return null;
        }

        Unknown(problems, at, dto.Unknown);
        var before = problems.Count;
        (int X, int Y, int Z)? triad = null;
        if (dto.Triad is { } t)
        {
            if (t.Length != 3 || t[0] is < 0 or > 255 || t[1] is < 0 or > 255 || t[2] is < 0 or > 2)
            {
                problems.Add($"{at}.triad: must be [x, y, z] with x and y 0-255 and z 0-2");
            }
            else
            {
                triad = (t[0], t[1], t[2]);
            }
        }

        (int X, int Y)? chip = null;
        if (dto.EthernetChip is { } c)
        {
            if (c.Length != 2 || !SpallocBoard.TryTriadOf(c[0], c[1], out var fromChip))
            {
                problems.Add($"{at}.ethernet-chip: must be [x, y] of an Ethernet chip: (12i, 12j), (12i+8, 12j+4) or (12i+4, 12j+8)");
            }
            else
            {
                chip = (c[0], c[1]);
                if (triad is { } given && given != fromChip)
                {
                    problems.Add($"{at}: triad [{given.X}, {given.Y}, {given.Z}] does not match ethernet-chip [{c[0]}, {c[1]}] (that chip is board [{fromChip.X}, {fromChip.Y}, {fromChip.Z}])");
                }

                triad ??= fromChip;
            }
        }

        if (dto.Triad is null && dto.EthernetChip is null)
        {
            problems.Add($"{at}: needs \"triad\": [x, y, z] or \"ethernet-chip\": [x, y]");
        }

        (int, int, int)? physical = null;
        if (dto.Physical is { } p)
        {
            if (p.Length != 3 || p.Any(v => v is < 0 or > 255))
            {
                problems.Add($"{at}.physical: must be [cabinet, frame, board], each 0-255");
            }
            else
            {
                physical = (p[0], p[1], p[2]);
            }
        }

        IPAddress? address = null;
        if (string.IsNullOrWhiteSpace(dto.Address))
        {
            problems.Add($"{at}.address: missing (the IPv4 address of the board's Ethernet interface)");
        }
        else if (!IPAddress.TryParse(dto.Address.Trim(), out address) || address.AddressFamily != AddressFamily.InterNetwork)
        {
            problems.Add($"{at}.address: '{Log.Escape(dto.Address, 60)}' is not an IPv4 address");
        }

        if (problems.Count != before || triad is not { } board || address is null)
        {
            return null;
        }

        var (chipX, chipY) = chip ?? SpallocBoard.EthernetChipOf(board.X, board.Y, board.Z);
        return new SpallocBoard(board.X, board.Y, board.Z, chipX, chipY, address, physical);
    }

    private static void CheckUnique(List<string> problems, string at, SpallocBoard board, List<(int Index, SpallocBoard Board)> earlier)
    {
        foreach (var (j, other) in earlier)
        {
            if ((other.X, other.Y, other.Z) == (board.X, board.Y, board.Z))
            {
                problems.Add($"{at}: triad [{board.X}, {board.Y}, {board.Z}] is also machine.boards[{j}]");
            }

            if (board.Physical is { } physical && other.Physical == physical)
            {
                problems.Add($"{at}.physical: [{physical.Cabinet}, {physical.Frame}, {physical.Board}] is also machine.boards[{j}]");
            }
        }
    }

    private static List<SpallocUser> ReadUsers(List<string> problems, List<UserDto?>? dtos)
    {
        var users = new List<SpallocUser>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (dtos is null || dtos.Count == 0)
        {
            problems.Add("users: must list at least one user");
            return users;
        }

        for (var i = 0; i < dtos.Count; i++)
        {
            var at = $"users[{i}]";
            if (dtos[i] is not { } dto)
            {
                problems.Add($"{at}: must be an object with \"name\" and \"token-hash\"");
                continue;
            }

            Unknown(problems, at, dto.Unknown);
            var name = dto.Name?.Trim();
            if (string.IsNullOrEmpty(name) || name.Length > 64 || name.Any(ch => char.IsControl(ch) || char.IsWhiteSpace(ch)))
            {
                problems.Add($"{at}.name: must be 1-64 characters without spaces or control characters");
            }
            else if (!names.Add(name))
            {
                problems.Add($"{at}.name: '{name}' is listed twice");
            }

            if (!TokenHash.TryParse(dto.TokenHash, out var hash, out var problem))
            {
                problems.Add($"{at}.token-hash: {problem}");
            }

            if (!string.IsNullOrEmpty(name) && hash is not null)
            {
                users.Add(new SpallocUser(name, hash, dto.Admin ?? false));
            }
        }

        return users;
    }

    private static SpallocServerOptions ReadServer(List<string> problems, ServerDto? dto)
    {
        var options = new SpallocServerOptions();
        if (dto is null)
        {
            return options;
        }

        Unknown(problems, "server", dto.Unknown);
        IPAddress? unbound = null;
        if (dto.UnboundAddress is { } text && !IPAddress.TryParse(text.Trim(), out unbound))
        {
            problems.Add($"server.unbound-address: '{Log.Escape(text, 60)}' is not an IP address");
        }

        Uri? publicUrl = null;
        if (dto.PublicUrl is { } urlText && !Uri.TryCreate(urlText.Trim().TrimEnd('/'), UriKind.Absolute, out publicUrl))
        {
            problems.Add($"server.public-url: '{Log.Escape(urlText, 100)}' is not an absolute URL");
        }

        return options with
        {
            UnboundAddress = unbound,
            PublicUrl = publicUrl,
            SendQueueBytes = dto.SendQueueBytes is { } bytes ? (int)Math.Clamp(bytes, int.MinValue, int.MaxValue) : options.SendQueueBytes,
            StallTimeout = Duration(problems, "server.stall-timeout", dto.StallTimeout, options.StallTimeout),
            PingInterval = Duration(problems, "server.ping-interval", dto.PingInterval, options.PingInterval),
            MaxChannelsPerWebSocket = dto.MaxChannelsPerWebsocket ?? options.MaxChannelsPerWebSocket,
            BoardScpPort = dto.BoardScpPort ?? options.BoardScpPort,
            MaxJobsPerUser = dto.MaxJobsPerUser ?? options.MaxJobsPerUser,
            MaxKeepalive = Duration(problems, "server.max-keepalive", dto.MaxKeepalive, options.MaxKeepalive),
            SessionIdleTimeout = Duration(problems, "server.session-idle-timeout", dto.SessionIdleTimeout, options.SessionIdleTimeout),
        };
    }

    private static TimeSpan Duration(List<string> problems, string name, string? text, TimeSpan fallback)
    {
        if (text is null)
        {
            return fallback;
        }

        if (ValueParsers.TryParseDuration(text, "s", out var value))
        {
            return value;
        }

        problems.Add($"{name}: '{Log.Escape(text, 40)}' is not a duration (examples: 30s, 5m, 1h; a bare number is in seconds)");
        return fallback;
    }

    private static void Unknown(List<string> problems, string at, Dictionary<string, JsonElement>? unknown)
    {
        if (unknown is null)
        {
            return;
        }

        foreach (var key in unknown.Keys)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"{(at.Length == 0 ? "" : at + ".")}{Log.Escape(key, 40)}: unknown field"));
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }
}
