using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Tests.Diagnostics;

public class LogFormatTests
{
    [Fact]
    public void A_terminal_line_has_the_utc_time_and_the_level()
    {
        var line = Log.Format(LogLevel.Warning, "tunnel-serve", "refused channel 3", journal: false);

        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warn  tunnel-serve: refused channel 3$", line);
    }

    [Theory]
    [InlineData(LogLevel.Debug, "<7>")]
    [InlineData(LogLevel.Info, "<6>")]
    [InlineData(LogLevel.Warning, "<4>")]
    [InlineData(LogLevel.Error, "<3>")]
    public void A_journal_line_starts_with_the_syslog_priority_and_leaves_the_time_to_the_journal(LogLevel level, string prefix)
    {
        Assert.Equal($"{prefix}server: stopping", Log.Format(level, "server", "stopping", journal: true));
    }

    [Theory]
    [InlineData("8:12345", "socket:[12345]", true)]
    [InlineData("8:12345", "socket:[12346]", false)]    // standard error is another socket
    [InlineData("8:12345", "/var/log/relay.log", false)] // redirected to a file under systemd
    [InlineData("8:12345", "pipe:[12345]", false)]
    [InlineData(null, "socket:[12345]", false)]           // not started by systemd
    [InlineData("8:12345", null, false)]                  // no /proc
    [InlineData("12345", "socket:[12345]", false)]        // malformed JOURNAL_STREAM
    [InlineData("8:", "socket:[]", false)]
    [InlineData(":12345", "socket:[12345]", false)]
    [InlineData("8:-1", "socket:[-1]", false)]
    [InlineData("8:99999999999999999999999", "socket:[99999999999999999999999]", false)]
    public void Only_a_standard_error_that_is_the_journal_stream_gets_journal_lines(string? journalStream, string? standardError, bool expected)
    {
        Assert.Equal(expected, Log.IsJournalStream(journalStream, standardError));
    }
}
