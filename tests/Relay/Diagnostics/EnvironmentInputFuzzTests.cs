using System.Text;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Spalloc.Client;

namespace FastSpinnRelay.Relay.Tests.Diagnostics;

/// <summary>
/// What the relay reads from its environment and from files other processes write: JOURNAL_STREAM, NOTIFY_SOCKET,
/// SPALLOC_USER/PASSWORD/TOKEN with the service URL's user info, an exit report (RELAY_EXIT_REPORT, from a child) and
/// /proc/PID/stat. Each cut short, oversized and seeded random: a value or "not usable", never an exception.
/// </summary>
public class EnvironmentInputFuzzTests
{
    [Fact]
    public void Journal_stream_values_match_only_their_own_socket()
    {
        const string Value = "8:12345";
        for (int length = 0; length < Value.Length; length++)
        {
            Assert.False(Log.IsJournalStream(Value[..length], "socket:[12345]"));
        }

        Assert.False(Log.IsJournalStream("8:" + new string('1', 100_000), "socket:[1]"));
        FuzzInputs.Run(seed: 2, [Encoding.ASCII.GetBytes(Value)], maxRandomLength: 40, input =>
        {
            string text = Encoding.UTF8.GetString(input).Replace("\0", "", StringComparison.Ordinal); // an environment value holds no NUL
            if (Log.IsJournalStream(text, "socket:[12345]"))
            {
                Assert.EndsWith("12345", text, StringComparison.Ordinal);
            }
        });
    }

    [Fact]
    public void Notify_socket_values_that_name_no_listener_send_nothing_and_never_throw()
    {
        foreach (string value in new[] { "@", "/", "@" + new string('x', 200), "/" + new string('x', 100_000), "/tmp/\0nul", "@relay-test-none\0x" })
        {
            Assert.False(SystemdNotify.Send(value, "READY=1"));
        }

        FuzzInputs.Run(seed: 3, [Encoding.UTF8.GetBytes("/run/nonexistent-relay-test/notify"), Encoding.UTF8.GetBytes("@nonexistent-relay-test")],
            maxRandomLength: 150, count: 3_000, input =>
            {
                string text = Encoding.UTF8.GetString(input);
                string value = text.Length > 0 && text[0] == '@' ? "@nonexistent-relay-test-" + text : "/nonexistent-relay-test/" + text;
                Assert.False(SystemdNotify.Send(value, "READY=1"));
                Assert.False(SystemdNotify.Send(text.Length > 0 && text[0] is '/' or '@' ? "" : text, "READY=1"));
            });
    }

    [Fact]
    public void Credentials_from_random_user_info_and_environment_resolve_or_say_what_is_missing()
    {
        byte[][] samples = [Encoding.UTF8.GetBytes("alice:pa%20ss"), Encoding.UTF8.GetBytes("%ZZ:%"), Encoding.UTF8.GetBytes(":")];
        FuzzInputs.Run(seed: 4, samples, maxRandomLength: 60, count: 5_000, input =>
        {
            string text = Encoding.UTF8.GetString(input);
            if (!Uri.TryCreate($"https://{Uri.EscapeDataString(text).Replace("%3A", ":", StringComparison.Ordinal)}@host/spalloc", UriKind.Absolute, out Uri? service))
            {
                return;
            }

            var environment = new Dictionary<string, string> { [SpallocCredentials.UserVariable] = text, [SpallocCredentials.TokenVariable] = text.Length % 2 == 0 ? "" : text };
            SpallocCredentials? credentials = SpallocCredentials.Resolve(service, null, null, null, out Uri clean, out string? problem, k => environment.GetValueOrDefault(k));
            Assert.Equal(credentials is null, problem is not null);
            Assert.Equal("", clean.UserInfo);
            Assert.EndsWith("/", clean.AbsolutePath, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Exit_reports_cut_oversized_or_random_are_read_or_refused()
    {
        byte[] report = new ExitReport(3, 1, 0, 123_456_789_012, 1.25) { Counters = new Dictionary<string, long> { ["a"] = 1, ["b"] = -2 } }.ToJson();
        for (int length = 0; length < report.Length; length++)
        {
            Assert.False(ExitReport.TryParse(report.AsSpan(0, length), out ExitReport? cut));
            Assert.Null(cut);
        }

        foreach (string text in new[] { "[" + new string('[', 100_000), "{\"gc0\": 1e400}", "{\"gc0\": 99999999999}", "{\"counters\": {}}", "null", "\"x\"" })
        {
            Assert.False(ExitReport.TryParse(Encoding.UTF8.GetBytes(text), out _), text);
        }

        int read = 0;
        FuzzInputs.Run(seed: 5, [report], maxRandomLength: 200, count: 50_000, input => read += ExitReport.TryParse(input, out ExitReport? r) && r is not null ? 1 : 0);
        Assert.InRange(read, 1, 50_000);
    }

    [Fact]
    public void Proc_stat_lines_cut_or_random_parse_or_are_refused()
    {
        const string Stat = "4242 (relay (a) b) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 25 0 0 20 0 8 0 100 0 0";
        for (int length = 0; length <= Stat.Length; length++)
        {
            CheckStat(Stat[..length]);
        }

        CheckStat(Stat + new string(' ', 100_000));
        CheckStat("1 (x) S " + string.Join(' ', Enumerable.Repeat("99999999999999999999999", 50)));
        FuzzInputs.Run(seed: 6, [Encoding.ASCII.GetBytes(Stat)], maxRandomLength: 120, input => CheckStat(Encoding.UTF8.GetString(input)));
    }

    private static void CheckStat(string text)
    {
        if (ProcessCpu.TryParseStat(text, out int parent, out long user, out long system))
        {
            Assert.True(parent >= 0 && user >= 0 && system >= 0);
        }
    }
}
