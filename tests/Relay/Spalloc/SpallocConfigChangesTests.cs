using System.Reflection;
using System.Text.Json;
using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Spalloc.Internal;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>What a reload of the configuration file would apply, and what it leaves for a restart.</summary>
public class SpallocConfigChangesTests
{
    private static readonly string AliceHash = TokenHash.Create("alice", TokenHash.MinIterations);
    private static readonly string BobHash = TokenHash.Create("bob", TokenHash.MinIterations);
    private static readonly string CarolHash = TokenHash.Create("carol", TokenHash.MinIterations);

    /// <summary>Each setting of the file's <c>server</c> section, a value other than its default, and whether a reload applies it.</summary>
    public static TheoryData<string, string, bool> ServerSettings() => new()
    {
        { "max-jobs-per-user", "3", true },
        { "max-keepalive", "\"10m\"", true },
        { "session-idle-timeout", "\"2h\"", true },
        { "board-scp-port", "17000", true },
        { "unbound-address", "\"10.0.0.9\"", false },
        { "public-url", "\"https://spinnaker.example.org/spalloc\"", false },
        { "send-queue-bytes", "131072", false },
        { "stall-timeout", "\"5s\"", false },
        { "ping-interval", "\"5s\"", false },
        { "max-channels-per-websocket", "8", false },
    };

    [Fact]
    public void The_same_file_read_again_changes_nothing()
    {
        var running = Read(File());

        var changes = SpallocConfigChanges.Between(running, Read(File()));

        Assert.False(changes.AppliesAnything);
        Assert.Empty(changes.NeedRestart);
        Assert.Equal("no changes", changes.Summary());
        Assert.All(running.Users.Zip(changes.Applied.Users), pair => Assert.Same(pair.First, pair.Second)); // what was learnt of their tokens stays
    }

    [Fact]
    public void Users_added_removed_given_a_new_token_or_other_rights_are_named_and_applied()
    {
        var running = Read(File(users: $$"""
            { "name": "alice", "token-hash": "{{AliceHash}}" },
            { "name": "bob", "token-hash": "{{BobHash}}" },
            { "name": "carol", "token-hash": "{{CarolHash}}", "admin": true },
            { "name": "erin", "token-hash": "{{BobHash}}" }
            """));
        var read = Read(File(users: $$"""
            { "name": "alice", "token-hash": "{{TokenHash.Create("alice", TokenHash.MinIterations)}}" },
            { "name": "carol", "token-hash": "{{CarolHash}}" },
            { "name": "dave", "token-hash": "{{BobHash}}" },
            { "name": "erin", "token-hash": "{{BobHash}}", "admin": true }
            """));

        var changes = SpallocConfigChanges.Between(running, read);

        Assert.Equal(["dave"], changes.UsersAdded);
        Assert.Equal(["bob"], changes.UsersRemoved);
        Assert.Equal(["alice"], changes.TokensChanged); // the same token hashed again is a new hash: it cannot be told apart
        Assert.Equal(["erin"], changes.AdminGranted);
        Assert.Equal(["carol"], changes.AdminRevoked);
        Assert.Equal("users added: dave; users removed: bob; new token: alice; admin granted: erin; admin revoked: carol", changes.Summary());
        Assert.Equal(["alice", "carol", "dave", "erin"], changes.Applied.Users.Select(u => u.Name));
        Assert.Same(read.Users[0], changes.Applied.Users[0]);
        Assert.False(changes.Applied.Users[1].Admin);
        Assert.Empty(changes.NeedRestart);
    }

    [Theory]
    [MemberData(nameof(ServerSettings))]
    public void A_server_setting_is_applied_or_named_as_needing_a_restart_and_kept(string name, string value, bool live)
    {
        var running = Read(File());
        var read = Read(File(server: $"\"{name}\": {value}"));

        var changes = SpallocConfigChanges.Between(running, read);
        var readValue = Setting(name).Value(read.Server);
        var appliedValue = Setting(name).Value(changes.Applied.Server);

        Assert.NotEqual(Setting(name).Value(running.Server), readValue);
        if (live)
        {
            Assert.Equal(readValue, appliedValue);
            Assert.StartsWith($"server.{name} ", Assert.Single(changes.SettingsApplied), StringComparison.Ordinal);
            Assert.Equal(changes.SettingsApplied[0], changes.Summary());
            Assert.Empty(changes.NeedRestart);
        }
        else
        {
            Assert.Equal(Setting(name).Value(running.Server), appliedValue);
            Assert.Equal(running.Server, changes.Applied.Server);
            Assert.StartsWith($"server.{name} ", Assert.Single(changes.NeedRestart), StringComparison.Ordinal);
            Assert.Empty(changes.SettingsApplied);
            Assert.Equal("no changes", changes.Summary());
        }
    }

    [Fact]
    public void Every_server_setting_of_the_file_is_compared_and_classified()
    {
        // A setting added to the file later must be classified here and in SpallocConfigChanges, not silently ignored.
        var inFile = typeof(ServerDto).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.Name != nameof(ServerDto.Unknown))
            .Select(p => JsonNamingPolicy.KebabCaseLower.ConvertName(p.Name))
            .Order(StringComparer.Ordinal);
        var classified = ServerSettings().Select(row => (string)row[0]).Order(StringComparer.Ordinal);
        var compared = SpallocConfigChanges.ServerSettings.Select(s => s.Name).Order(StringComparer.Ordinal);

        Assert.Equal(inFile, classified);
        Assert.Equal(inFile, compared);
    }

    [Fact]
    public void Changes_to_the_machine_need_a_restart_and_are_not_applied()
    {
        var running = Read(File());
        var read = Read(File(
            machine: """
                "name": "other", "tags": ["default", "big"],
                "boards": [{ "triad": [0, 0, 0], "address": "10.0.0.1" }, { "triad": [0, 0, 1], "address": "10.0.0.9" }]
                """,
            server: "\"max-jobs-per-user\": 2"));

        var changes = SpallocConfigChanges.Between(running, read);

        Assert.Equal(["machine.name m -> other", "machine.tags [default] -> [default, big]", "machine.boards (1 -> 2 board(s))"], changes.NeedRestart);
        Assert.Same(running.Machine, changes.Applied.Machine);
        Assert.Equal(2, changes.Applied.Server.MaxJobsPerUser); // applied all the same: the rest of the file is good
        Assert.Equal("server.max-jobs-per-user 8 -> 2", changes.Summary());
    }

    [Fact]
    public void A_board_moved_to_another_address_is_a_change_of_the_machine()
    {
        var changes = SpallocConfigChanges.Between(
            Read(File()), Read(File(machine: """ "name": "m", "boards": [{ "triad": [0, 0, 0], "address": "10.0.0.2" }] """)));

        Assert.Equal(["machine.boards (1 board(s), changed)"], changes.NeedRestart);
    }

    private static SpallocConfigChanges.Setting Setting(string name) => SpallocConfigChanges.ServerSettings.Single(s => s.Name == name);

    private static string File(string? machine = null, string? users = null, string? server = null) => $$"""
        {
          "machine": { {{machine ?? """ "name": "m", "boards": [{ "triad": [0, 0, 0], "address": "10.0.0.1" }] """}} },
          "users": [ {{users ?? $$"""{ "name": "alice", "token-hash": "{{AliceHash}}" }"""}} ],
          "server": { {{server}} }
        }
        """;

    private static SpallocConfig Read(string json)
    {
        Assert.True(SpallocConfigReader.TryParse(json, out var config, out var problems), string.Join("\n", problems));
        return config!;
    }
}
