using System.CommandLine;
using System.CommandLine.Parsing;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>A value starting with '@' is that value, never a file of more arguments to read.</summary>
public class ResponseFileTests
{
    [Fact]
    public void A_value_starting_with_an_at_sign_is_taken_as_it_is()
    {
        ParseResult parse = RelayCommandLine.Parse(["spalloc", "machines", "--service", "http://127.0.0.1/", "--user", "@alice", "--password", "@secret"]);

        Assert.Empty(parse.Errors);
        Assert.Equal("@alice", parse.GetValue<string>("--user"));
        Assert.Equal("@secret", parse.GetValue<string>("--password"));
    }

    [Fact]
    public async Task An_endless_file_named_with_an_at_sign_is_not_read()
    {
        // Read as a response file, /dev/zero never ended: the parse grew a line until it threw after gigabytes.
        ParseResult parse = await Task.Run(() => RelayCommandLine.Parse(["emulate", "--scp-port", "@/dev/zero"])).WaitAsync(Loopback.Limit);

        ParseError error = Assert.Single(parse.Errors);
        Assert.Contains("'@/dev/zero'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_of_arguments_named_with_an_at_sign_is_an_unrecognised_argument()
    {
        string path = Path.Combine(Path.GetTempPath(), $"relay-args-{Guid.NewGuid():N}");
        File.WriteAllText(path, "--scp-port\n0\n");
        try
        {
            ParseResult parse = RelayCommandLine.Parse(["emulate", "@" + path]);
            Assert.Contains(parse.Errors, e => e.Message.Contains("@" + path, StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
