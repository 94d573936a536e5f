using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Tests.Cli;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    /// <summary>Tests that redirect <see cref="Console.Error"/> run alone.</summary>
    public const string Name = "Console";

    /// <summary>Runs `relay ARGS` in-process and returns its exit code and what it wrote to standard error, line by line.</summary>
    public static async Task<(int Code, string[] Lines)> InvokeCapturingStderr(params string[] args)
    {
        // Log captures Console.Error when first used: make sure that is the real one, not this test's writer.
        _ = Log.Output;
        var original = Console.Error;
        var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            var code = await RelayCommandLine.InvokeAsync(args);
            return (code, captured.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        finally
        {
            Console.SetError(original);
        }
    }
}
