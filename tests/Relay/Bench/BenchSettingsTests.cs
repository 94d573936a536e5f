using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Tests.Bench;

public class BenchSettingsTests
{
    [Fact]
    public void Defaults_are_valid_and_expand_to_every_workload_and_the_default_paths()
    {
        var settings = new BenchSettings();
        Assert.Empty(settings.GetProblems());
        Assert.Equal(["stream-24", "stream-282", "stream-1042", "rr1", "rr8"], settings.ExpandWorkloads().Select(w => w.Name));
        Assert.Equal(BenchPaths.DefaultNames, settings.ExpandPaths());
        Assert.Contains("peer", (settings with { PeerCommand = "true {listen_port}" }).ExpandPaths());
    }

    [Fact]
    public void Live_mode_runs_request_response_only_on_the_live_path()
    {
        var settings = new BenchSettings { Target = "127.0.0.1:17893" };
        Assert.Empty(settings.GetProblems());
        Assert.Equal(["rr1", "rr8"], settings.ExpandWorkloads().Select(w => w.Name));
        Assert.Equal([BenchPaths.LiveName], settings.ExpandPaths());
    }

    [Theory]
    [InlineData("--sizes 11 is out of range")]
    [InlineData("--sizes 4096 is out of range")]
    [InlineData("unknown path 'nope'")]
    [InlineData("unknown workload 'bulk'")]
    [InlineData("--duration 1ms is out of range")]
    [InlineData("--rate -1 is out of range")]
    [InlineData("--repeat 0 is out of range")]
    [InlineData("--visualisers 0 is out of range (1 to 8)")]
    [InlineData("--visualisers 9 is out of range (1 to 8)")]
    [InlineData("unknown responder 'board'")]
    [InlineData("the peer path needs --peer-cmd")]
    [InlineData("--peer-cmd: unknown placeholder {port}")]
    [InlineData("--target drives SCP VER request/response only")]
    [InlineData("--target 'nonsense' is not HOST:PORT")]
    [InlineData("cannot be combined with --paths")]
    [InlineData("--paths names a path twice")]
    public void Each_bad_value_is_reported_by_name(string expected)
    {
        var settings = expected switch
        {
            "--sizes 11 is out of range" => new BenchSettings { Sizes = [24, 11] },
            "--sizes 4096 is out of range" => new BenchSettings { Sizes = [4096] },
            "unknown path 'nope'" => new BenchSettings { Paths = ["direct", "nope"] },
            "unknown workload 'bulk'" => new BenchSettings { Workloads = ["bulk"] },
            "--duration 1ms is out of range" => new BenchSettings { Duration = TimeSpan.FromMilliseconds(1) },
            "--rate -1 is out of range" => new BenchSettings { Rate = -1 },
            "--repeat 0 is out of range" => new BenchSettings { Repeat = 0 },
            "--visualisers 0 is out of range (1 to 8)" => new BenchSettings { Visualisers = 0 },
            "--visualisers 9 is out of range (1 to 8)" => new BenchSettings { Visualisers = 9 },
            "unknown responder 'board'" => new BenchSettings { Responder = "board" },
            "the peer path needs --peer-cmd" => new BenchSettings { Paths = ["peer"] },
            "--peer-cmd: unknown placeholder {port}" => new BenchSettings { PeerCommand = "socat {port}" },
            "--target drives SCP VER request/response only" => new BenchSettings { Target = "127.0.0.1:17893", Workloads = ["stream"] },
            "--target 'nonsense' is not HOST:PORT" => new BenchSettings { Target = "nonsense" },
            "cannot be combined with --paths" => new BenchSettings { Target = "127.0.0.1:17893", Paths = ["direct"] },
            _ => new BenchSettings { Paths = ["direct", "direct"] },
        };

        Assert.Contains(settings.GetProblems(), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("bench --duration soon", "'soon' is not a duration for --duration")]
    [InlineData("bench --sizes 24,big", "'big' is not a size in bytes")]
    [InlineData("bench --rate fast", "fast")]
    [InlineData("bench forwarder 127.0.0.1 0 127.0.0.1 0", "TARGET_PORT 0 is not a port")]
    [InlineData("bench forwarder nowhere 0 127.0.0.1 9", "'nowhere' is not an IP address")]
    public void The_command_line_rejects_bad_values_before_running(string args, string expected)
    {
        var parse = RelayCommandLine.Build().Parse(args.Split(' '));
        Assert.Contains(parse.Errors, e => e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void The_command_line_fills_settings_from_options()
    {
        var parse = RelayCommandLine.Build().Parse(["bench", "--paths", "direct", "--sizes", "24,282", "--duration", "250ms", "--json"]);
        Assert.Empty(parse.Errors);
    }

    [Fact]
    public async Task Invalid_settings_end_with_a_usage_error_naming_them()
    {
        using var output = new StringWriter();
        var ex = await Assert.ThrowsAsync<RelayToolException>(() =>
            BenchCommand.RunAsync(new BenchSettings { Paths = ["nope"] }, output, output, CancellationToken.None));
        Assert.Equal(ExitCode.Usage, ex.Code);
        Assert.Contains("unknown path 'nope'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exit_report_round_trips_as_json()
    {
        var report = new ExitReport(3, 1, 0, 123_456_789_012, 1.25);
        Assert.True(ExitReport.TryParse(report.ToJson(), out var back));
        Assert.Equal(report, back);
        Assert.Contains("\"allocatedBytes\":123456789012", System.Text.Encoding.UTF8.GetString(report.ToJson()), StringComparison.Ordinal);
        var counted = report with { Counters = new Dictionary<string, long> { ["tunnelBytesReceived"] = 42 } };
        Assert.True(ExitReport.TryParse(counted.ToJson(), out var countedBack));
        Assert.Equal(counted, countedBack);
        Assert.NotEqual(report, countedBack);
        Assert.Equal(42, countedBack!.Counter("tunnelBytesReceived"));
        Assert.False(ExitReport.TryParse("{\"gc0\":1,\"gc1\":0,\"gc2\":0,\"allocatedBytes\":1,\"cpuSeconds\":1,\"counters\":[]}"u8, out _));
        Assert.False(ExitReport.TryParse("{\"gc0\":1}"u8, out _));
        Assert.False(ExitReport.TryParse("not json"u8, out _));
        Assert.False(ExitReport.TryParse("[]"u8, out _));
    }
}
