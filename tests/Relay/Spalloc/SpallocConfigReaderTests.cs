using System.Net;
using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

public class SpallocConfigReaderTests
{
    private static readonly string Hash = TokenHash.Create("t", TokenHash.MinIterations);

    [Fact]
    public void The_documented_example_reads()
    {
        var path = Path.Combine(Repository.Root(), "docs", "spalloc-serve.example.json");
        var text = File.ReadAllText(path).Replace("pbkdf2-sha256$100000$REPLACE_WITH_THE_OUTPUT_OF_RELAY_SPALLOC_HASH_TOKEN", Hash, StringComparison.Ordinal);
        Assert.True(SpallocConfigReader.TryParse(text, out var config, out var problems), string.Join("\n", problems));
        Assert.Equal("lab-spin5", config!.Machine.Name);
        Assert.Equal(3, config.Machine.Boards.Count);
        Assert.Equal((8, 4), (config.Machine.Boards[1].ChipX, config.Machine.Boards[1].ChipY));
        Assert.Equal((0, 0, 2), (config.Machine.Boards[2].X, config.Machine.Boards[2].Y, config.Machine.Boards[2].Z));
        Assert.Equal(IPAddress.Parse("192.168.240.1"), config.Machine.Boards[0].Address);
        Assert.Equal(["default"], config.Machine.Tags);
        Assert.Equal("alice", config.Users[0].Name);
        Assert.True(config.Users[1].Admin);
        Assert.Equal(TimeSpan.FromSeconds(30), config.Server.StallTimeout);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_naming_its_field()
    {
        var json = $$"""
        {
          "machine": {
            "name": "bad name!",
            "boards": [
              { "triad": [0, 0, 3], "address": "10.0.0.1" },
              { "ethernet-chip": [1, 1], "address": "not-an-ip" },
              { "triad": [0, 0, 1], "ethernet-chip": [4, 8], "address": "10.0.0.3" },
              { "address": "10.0.0.4" },
              { "triad": [1, 0, 0], "address": "10.0.0.5", "colour": "red" },
              { "triad": [1, 0, 0], "address": "10.0.0.6" }
            ]
          },
          "users": [
            { "name": "alice", "token-hash": "plain-text" },
            { "name": "alice", "token-hash": "{{Hash}}" },
            { "token-hash": "{{Hash}}" }
          ],
          "server": { "stall-timeout": "soon", "send-queue-bytes": 10, "unknown-knob": 1 },
          "extra": true
        }
        """;
        Assert.False(SpallocConfigReader.TryParse(json, out _, out var problems));
        var expected = new[]
        {
            "machine.name:",
            "machine.boards[0].triad:",
            "machine.boards[1].ethernet-chip:",
            "machine.boards[1].address: 'not-an-ip'",
            "machine.boards[2]: triad [0, 0, 1] does not match ethernet-chip [4, 8]",
            "machine.boards[3]: needs \"triad\"",
            "machine.boards[4].colour: unknown field",
            "machine.boards[5]: triad [1, 0, 0] is also machine.boards[4]",
            "users[0].token-hash:",
            "users[1].name: 'alice' is listed twice",
            "users[2].name:",
            "server.stall-timeout: 'soon'",
            "server.unknown-knob: unknown field",
            "server.send-queue-bytes is 10",
            "extra: unknown field",
        };
        foreach (var start in expected)
        {
            Assert.True(problems.Any(p => p.StartsWith(start, StringComparison.Ordinal)), $"no '{start}' in:\n{string.Join("\n", problems)}");
        }

        Assert.Equal(expected.Length, problems.Count);
    }

    [Fact]
    public void Json_errors_name_the_line_and_missing_sections_are_reported()
    {
        Assert.False(SpallocConfigReader.TryParse("{\n  \"machine\": {\n    \"boards\": 5\n  }\n}", out _, out var problems));
        Assert.StartsWith("line 3: machine.boards: ", Assert.Single(problems), StringComparison.Ordinal);

        Assert.False(SpallocConfigReader.TryParse("{}", out _, out problems));
        Assert.Equal(["machine: missing (the machine's name and boards)", "users: must list at least one user"], problems);

        Assert.False(SpallocConfigReader.TryRead(Path.Combine(Path.GetTempPath(), "no-such-spalloc.json"), out _, out problems));
        Assert.Contains("cannot read", Assert.Single(problems), StringComparison.Ordinal);
    }
}
