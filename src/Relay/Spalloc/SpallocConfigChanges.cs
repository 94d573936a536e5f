using System.Globalization;
using FastSpinnRelay.Relay.Spalloc.Server;

namespace FastSpinnRelay.Relay.Spalloc;

/// <summary>
/// What reloading a <c>relay spalloc serve</c> configuration changes: the users (added, removed, given a new token
/// hash, given or relieved of admin rights), the settings a running server applies at once, and the settings that
/// only a restart can change, which a reload leaves as they are. <see cref="Applied"/> is the configuration the
/// server runs on after the reload. Make one with <see cref="Between"/>.
/// </summary>
/// <remarks>
/// Applied by a reload: <c>users</c>, <c>server.max-jobs-per-user</c>, <c>server.max-keepalive</c> and
/// <c>server.session-idle-timeout</c>, each read afresh by every request or housekeeping pass that enforces it. Not
/// applied (a restart is needed): <c>machine</c> (the job board and its state file are built for its boards), and
/// the proxy's and addresses' settings, which the proxy, each websocket or Kestrel took at start. The flags
/// (<c>--listen</c>, <c>--base-path</c>, <c>--tls-cert</c>, <c>--tls-key</c>, <c>--state-file</c>) are not in the
/// file: a reload keeps those the server started with.
/// </remarks>
public sealed class SpallocConfigChanges
{
    /// <summary>The file's <c>server</c> settings, each with how a reload applies it, or none: it needs a restart.</summary>
    internal static readonly IReadOnlyList<Setting> ServerSettings =
    [
        new("max-jobs-per-user", o => o.MaxJobsPerUser, (o, from) => o with { MaxJobsPerUser = from.MaxJobsPerUser }),
        new("max-keepalive", o => o.MaxKeepalive, (o, from) => o with { MaxKeepalive = from.MaxKeepalive }),
        new("session-idle-timeout", o => o.SessionIdleTimeout, (o, from) => o with { SessionIdleTimeout = from.SessionIdleTimeout }),
        new("board-scp-port", o => o.BoardScpPort, (o, from) => o with { BoardScpPort = from.BoardScpPort }),
        new("unbound-address", o => o.UnboundAddress, null),
        new("public-url", o => o.PublicUrl, null),
        new("send-queue-bytes", o => o.SendQueueBytes, null),
        new("stall-timeout", o => o.StallTimeout, null),
        new("ping-interval", o => o.PingInterval, null),
        new("max-channels-per-websocket", o => o.MaxChannelsPerWebSocket, null),
    ];

    private SpallocConfigChanges(SpallocConfig applied) => Applied = applied;

    /// <summary>Users in the new file and not in the running configuration, by name.</summary>
    public IReadOnlyList<string> UsersAdded { get; private init; } = [];

    /// <summary>Users in the running configuration and not in the new file: they can no longer log in.</summary>
    public IReadOnlyList<string> UsersRemoved { get; private init; } = [];

    /// <summary>Users whose <c>token-hash</c> changed: their old token no longer works (a new hash of the same token counts too: it cannot be told apart).</summary>
    public IReadOnlyList<string> TokensChanged { get; private init; } = [];

    /// <summary>Users who became admins.</summary>
    public IReadOnlyList<string> AdminGranted { get; private init; } = [];

    /// <summary>Admins who are admins no more.</summary>
    public IReadOnlyList<string> AdminRevoked { get; private init; } = [];

    /// <summary>Settings applied by the reload, each as <c>server.NAME OLD -> NEW</c>.</summary>
    public IReadOnlyList<string> SettingsApplied { get; private init; } = [];

    /// <summary>Changed settings a reload does not apply (the old value stays until a restart), each as <c>NAME OLD -> NEW</c>.</summary>
    public IReadOnlyList<string> NeedRestart { get; private init; } = [];

    /// <summary>The configuration to run on: the new users and live settings, everything else as it was.</summary>
    public SpallocConfig Applied { get; }

    /// <summary>True when the reload applies anything (users or live settings).</summary>
    public bool AppliesAnything =>
        UsersAdded.Count + UsersRemoved.Count + TokensChanged.Count + AdminGranted.Count + AdminRevoked.Count + SettingsApplied.Count > 0;

    /// <summary>
    /// Compares the configuration a server runs on with one just read (both validated, with the same flags). Unchanged
    /// users keep their running entry (the same object), so what was learnt about their tokens stays valid.
    /// </summary>
    public static SpallocConfigChanges Between(SpallocConfig running, SpallocConfig read)
    {
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(read);
        var old = running.Users.ToDictionary(u => u.Name, StringComparer.Ordinal);
        var names = read.Users.Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
        var users = new List<SpallocUser>(read.Users.Count);
        List<string> added = [], tokens = [], granted = [], revoked = [];
        foreach (var user in read.Users)
        {
            if (!old.TryGetValue(user.Name, out var was))
            {
                added.Add(user.Name);
                users.Add(user);
                continue;
            }

            var sameToken = was.TokenHash.SameAs(user.TokenHash);
            if (!sameToken)
            {
                tokens.Add(user.Name);
            }

            if (was.Admin != user.Admin)
            {
                (user.Admin ? granted : revoked).Add(user.Name);
            }

            users.Add(sameToken && was.Admin == user.Admin ? was : user);
        }

        var server = running.Server;
        List<string> applied = [], restart = [];
        foreach (var setting in ServerSettings)
        {
            var (before, after) = (setting.Value(running.Server), setting.Value(read.Server));
            if (Equals(before, after))
            {
                continue;
            }

            var change = $"server.{setting.Name} {Show(before)} -> {Show(after)}";
            if (setting.Apply is { } apply)
            {
                server = apply(server, read.Server);
                applied.Add(change);
            }
            else
            {
                restart.Add(change);
            }
        }

        restart.InsertRange(0, MachineChanges(running.Machine, read.Machine));
        return new SpallocConfigChanges(running with { Users = users, Server = server })
        {
            UsersAdded = added,
            UsersRemoved = running.Users.Where(u => !names.Contains(u.Name)).Select(u => u.Name).ToList(),
            TokensChanged = tokens,
            AdminGranted = granted,
            AdminRevoked = revoked,
            SettingsApplied = applied,
            NeedRestart = restart,
        };
    }

    /// <summary>
    /// One line of what was applied: <c>users added: dave; users removed: bob; new token: alice;
    /// server.max-jobs-per-user 8 -> 4</c>, or <c>no changes</c> (restart-only changes are not in it: they were not applied).
    /// </summary>
    public string Summary()
    {
        var parts = new List<string>();
        Add(parts, "users added", UsersAdded);
        Add(parts, "users removed", UsersRemoved);
        Add(parts, "new token", TokensChanged);
        Add(parts, "admin granted", AdminGranted);
        Add(parts, "admin revoked", AdminRevoked);
        parts.AddRange(SettingsApplied);
        return parts.Count == 0 ? "no changes" : string.Join("; ", parts);
    }

    public override string ToString() => Summary();

    private static IEnumerable<string> MachineChanges(SpallocMachine running, SpallocMachine read)
    {
        if (running.Name != read.Name)
        {
            yield return $"machine.name {running.Name} -> {read.Name}";
        }

        if (!running.Tags.SequenceEqual(read.Tags, StringComparer.Ordinal))
        {
            yield return $"machine.tags [{string.Join(", ", running.Tags)}] -> [{string.Join(", ", read.Tags)}]";
        }

        if (!running.Boards.SequenceEqual(read.Boards))
        {
            var counts = running.Boards.Count == read.Boards.Count ? $"{read.Boards.Count} board(s), changed" : $"{running.Boards.Count} -> {read.Boards.Count} board(s)";
            yield return $"machine.boards ({counts})";
        }
    }

    private static void Add(List<string> parts, string what, IReadOnlyList<string> names)
    {
        if (names.Count > 0)
        {
            parts.Add($"{what}: {string.Join(", ", names)}");
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "(none)",
        TimeSpan span => Duration(span),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>A duration as the file may write it, in the largest unit that holds it exactly: 1h, 90s, 5m, 250ms.</summary>
    private static string Duration(TimeSpan value) => value.Ticks switch
    {
        > 0 when value.Ticks % TimeSpan.TicksPerHour == 0 => FormattableString.Invariant($"{value.TotalHours}h"),
        > 0 when value.Ticks % TimeSpan.TicksPerMinute == 0 => FormattableString.Invariant($"{value.TotalMinutes}m"),
        _ when value.Ticks % TimeSpan.TicksPerSecond == 0 => FormattableString.Invariant($"{value.TotalSeconds}s"),
        _ => FormattableString.Invariant($"{value.TotalMilliseconds}ms"),
    };

    /// <summary>A <c>server</c> setting of the file: its name there, its value, and how a reload applies it (null: it needs a restart).</summary>
    internal sealed record Setting(
        string Name, Func<SpallocServerOptions, object?> Value, Func<SpallocServerOptions, SpallocServerOptions, SpallocServerOptions>? Apply);
}
