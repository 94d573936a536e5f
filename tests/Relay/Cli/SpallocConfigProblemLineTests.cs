using FastSpinnRelay.Relay.Cli;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>A configuration file's bytes quoted in a problem cannot break the one line per problem that serve prints.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class SpallocConfigProblemLineTests : IDisposable
{
    private readonly string _config = Path.Combine(Path.GetTempPath(), $"relay-config-{Guid.NewGuid():N}.json");

    [Fact]
    public async Task A_json_error_quoting_control_bytes_is_printed_as_one_line()
    {
        // The JSON reader quotes the bad literal, newline and escape bytes included.
        await File.WriteAllTextAsync(_config, "{\"machine\": fals\u001b[2J\n<3>relay: forged line\n}");

        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr("spalloc", "serve", "--config", _config, "--check");

        Assert.Equal((int)ExitCode.Usage, code);
        Assert.DoesNotContain(lines, l => l.StartsWith("<3>relay: forged", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Any(char.IsControl));
        Assert.Contains(lines, l => l.StartsWith($"relay spalloc serve: {_config}: line 1:", StringComparison.Ordinal));
    }

    public void Dispose() => File.Delete(_config);
}
