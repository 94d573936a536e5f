using FastSpinnRelay.Relay.Cli;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>What a bad flag prints: one line per problem, whatever the value holds, and not a megabyte of it.</summary>
[Collection(ConsoleCollection.Name)]
public class ErrorLineTests
{
    [Theory]
    [InlineData("emulate", "--address")]
    [InlineData("server", "--flow-idle-timeout")]
    [InlineData("bench", "--responder")]
    [InlineData("bench", "--sizes")]
    public async Task A_value_with_a_newline_cannot_start_a_line_of_its_own(string verb, string option)
    {
        string[] args = verb == "server" ? [verb, "board", option, "5\n<3>relay: forged"] : [verb, option, "5\n<3>relay: forged"];

        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr(args);

        Assert.Equal((int)ExitCode.Usage, code);
        Assert.DoesNotContain(lines, l => l.StartsWith("<3>relay: forged", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(@"'5\x0a<3>relay: forged'", StringComparison.Ordinal) && l.Contains(option, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_huge_value_is_cut_in_the_line()
    {
        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr("tunnel", "serve", new string('b', 1_000_000), "-k", "k", "--no-such-flag", new string('x', 1_000_000));

        Assert.Equal((int)ExitCode.Usage, code);
        Assert.All(lines, l => Assert.True(l.Length <= RelayCommandLine.MaxErrorLineLength + 20, $"{l.Length} characters"));
    }

    [Fact]
    public async Task Bench_problems_are_one_line()
    {
        var settings = new FastSpinnRelay.Relay.Bench.BenchSettings { Paths = ["nope"], Sizes = [0] };
        Assert.True(settings.GetProblems().Count >= 2);

        var ex = await Assert.ThrowsAsync<RelayToolException>(() => BenchCommand.RunAsync(settings, TextWriter.Null, TextWriter.Null, CancellationToken.None));
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Contains("unknown path 'nope'", ex.Message, StringComparison.Ordinal);
    }
}
