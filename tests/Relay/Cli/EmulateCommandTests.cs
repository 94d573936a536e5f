using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public partial class EmulateCommandTests
{
    [Fact]
    public async Task Validation_problems_are_one_line_each_with_exit_code_2()
    {
        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr("emulate", "--scp-port", "70000", "--spike-tag", "9", "--drop-one-in", "1");

        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Equal(4, lines.Length);
        Assert.All(lines[..3], l => Assert.StartsWith("relay emulate: ", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("SCP port 70000", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("spike tag 9", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("drop-one-in 1", StringComparison.Ordinal));
        Assert.Contains("relay emulate --help", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unparsable_values_are_one_line_each_with_exit_code_2()
    {
        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr("emulate", "--reply-delay", "soon", "--spike-to", "nohost", "--spike-rate", "fast");

        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains(lines, l => l.StartsWith("relay: 'soon' is not a duration for --reply-delay", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("relay: 'nohost' is not HOST:PORT for --spike-to", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("fast", StringComparison.Ordinal));
        Assert.Equal(4, lines.Length);
    }

    [Fact]
    public void Every_option_maps_onto_its_EmulatorOptions_setting()
    {
        var verb = EmulateCommand.CreateVerb();
        var parse = verb.Command.Parse(
        [
            "--address", "127.0.0.2", "--scp-port", "1", "--boot-port", "2", "--drop-one-in", "3", "--reply-delay", "4",
            "--boot-settle", "5s", "--version-string", "4.9.9", "--spike-tag", "6", "--spike-to", "127.0.0.1:7",
            "--spike-rate", "8.5", "--spike-size", "10", "--spike-population", "11", "--spike-limit", "12", "--stats-every", "13",
        ]);

        Assert.Empty(parse.Errors);
        Assert.Equal(
            new EmulatorOptions
            {
                Address = IPAddress.Parse("127.0.0.2"), ScpPort = 1, BootPort = 2, DropOneInN = 3,
                ReplyDelay = TimeSpan.FromMilliseconds(4), BootSettleTime = TimeSpan.FromSeconds(5), ScampVersion = "4.9.9",
                SpikeTag = 6, SpikeDestination = new IPEndPoint(IPAddress.Loopback, 7), SpikeRate = 8.5, SpikePacketSize = 10,
                SpikePopulation = 11, SpikeLimit = 12,
            },
            verb.ReadOptions(parse));
        Assert.Equal(TimeSpan.FromSeconds(13), verb.ReadStatsEvery(parse));
    }

    [Theory]
    [InlineData("--stats-interval")]
    [InlineData("--stats-every")] // the first name, kept for scripts that use it
    public void The_stats_interval_has_the_name_the_other_verbs_use_and_its_first_one(string flag)
    {
        var verb = EmulateCommand.CreateVerb();
        var parse = verb.Command.Parse([flag, "30s"]);

        Assert.Empty(parse.Errors);
        Assert.Equal(TimeSpan.FromSeconds(30), verb.ReadStatsEvery(parse));
    }

    [Fact]
    public void Absent_options_take_the_EmulatorOptions_defaults()
    {
        var verb = EmulateCommand.CreateVerb();
        var parse = verb.Command.Parse([]);

        Assert.Equal(new EmulatorOptions(), verb.ReadOptions(parse));
        Assert.Equal(TimeSpan.FromSeconds(10), verb.ReadStatsEvery(parse));
    }

    [Fact]
    public async Task A_busy_port_is_a_one_line_network_error()
    {
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)squatter.LocalEndPoint!).Port;
        using var watchdog = new CancellationTokenSource(Loopback.Limit);

        var ex = await Assert.ThrowsAsync<RelayToolException>(() => EmulateCommand.RunAsync(
            Loopback.Board() with { ScpPort = port }, TimeSpan.Zero, TextWriter.Null, watchdog.Token));

        Assert.Equal(ExitCode.Network, ex.Code);
        Assert.Contains($"SCP port 127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("already in use", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task Runs_until_cancelled_and_says_where_it_listens()
    {
        var text = new StringWriter();
        var output = TextWriter.Synchronized(text);
        using var stop = new CancellationTokenSource();
        stop.CancelAfter(Loopback.Limit);

        var run = EmulateCommand.RunAsync(Loopback.Board(), TimeSpan.Zero, output, stop.Token);
        Assert.True(Loopback.WaitUntil(() => ListeningLine().IsMatch(Read(output, text))));
        var scp = IPEndPoint.Parse(ListeningLine().Match(Read(output, text)).Groups[1].Value);
        using (var client = new ScpClient(scp))
        {
            Assert.False(client.Version().IsBooted);
        }

        await stop.CancelAsync();
        Assert.Equal((int)ExitCode.Ok, await run.WaitAsync(Loopback.Limit));
    }

    /// <summary>Reads what was written so far; a synchronized writer's methods lock on the writer itself.</summary>
    private static string Read(TextWriter synchronized, StringWriter text)
    {
        lock (synchronized)
        {
            return text.ToString();
        }
    }

    [GeneratedRegex(@"listening for SCP on (\S+) and boot on")]
    private static partial Regex ListeningLine();
}
