using System.CommandLine;
using FastSpinnRelay.Relay.Cli;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// Options with a range check, given a value that is not a number at all: one parse error naming the option and the
/// value. (Their range checks were validators, which read the converted value and so threw out of the parse:
/// an unhandled exception with a stack trace instead of exit code 2.)
/// </summary>
public class UnconvertedValueTests
{
    [Theory]
    [InlineData("spalloc connect 1 --live-tag x", "--live-tag")]
    [InlineData("spalloc connect 1 --reconnect-attempts x", "--reconnect-attempts")]
    [InlineData("spalloc connect 1 --board-scp-port x", "--board-scp-port")]
    [InlineData("spalloc connect 1 --board-boot-port x", "--board-boot-port")]
    [InlineData("tunnel serve board -k k --max-sessions x", "--max-sessions")]
    public void A_value_that_is_not_a_number_is_one_error_naming_option_and_value(string args, string option)
    {
        ParseResult parse = RelayCommandLine.Parse(args.Split(' '));

        var error = Assert.Single(parse.Errors);
        Assert.Contains($"'x' is not a whole number in", error.Message, StringComparison.Ordinal);
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("spalloc connect 1 --live-tag 8", "'8' is not a whole number in 0..7 for --live-tag")]
    [InlineData("spalloc connect 1 --live-tag -1", "'-1' is not a whole number in 0..7 for --live-tag")]
    [InlineData("spalloc connect 1 --reconnect-attempts -1", "'-1' is not a whole number in 0..2147483647 for --reconnect-attempts")]
    [InlineData("spalloc connect 1 --board-scp-port 0", "'0' is not a whole number in 1..65535 for --board-scp-port")]
    [InlineData("spalloc connect 1 --board-boot-port 65536", "'65536' is not a whole number in 1..65535 for --board-boot-port")]
    public void Values_out_of_range_are_still_refused(string args, string expected)
    {
        var error = Assert.Single(RelayCommandLine.Parse(args.Split(' ')).Errors);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_in_range_and_absent_ones_take_their_values_and_defaults()
    {
        ParseResult given = RelayCommandLine.Parse(["spalloc", "connect", "1", "--live-tag", "7", "--reconnect-attempts", "0", "--board-scp-port", "1"]);
        Assert.Empty(given.Errors);
        Assert.Equal(7, given.GetValue<int?>("--live-tag"));
        Assert.Equal(0, given.GetValue<int>("--reconnect-attempts"));
        Assert.Equal(1, given.GetValue<int>("--board-scp-port"));

        ParseResult absent = RelayCommandLine.Parse(["spalloc", "connect", "1"]);
        Assert.Empty(absent.Errors);
        Assert.Null(absent.GetValue<int?>("--live-tag"));
        Assert.Equal(17893, absent.GetValue<int>("--board-scp-port"));
    }
}
