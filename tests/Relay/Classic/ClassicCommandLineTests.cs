using System.CommandLine;
using System.Net;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Cli;

namespace FastSpinnRelay.Relay.Tests.Classic;

/// <summary>The original's flags and defaults, the new verbs, and one clear line with an exit code for bad input.</summary>
public class ClassicCommandLineTests
{
    [Theory]
    [InlineData("server spinn-4", ClassicRole.Server)]
    [InlineData("-s spinn-4", ClassicRole.Server)]
    [InlineData("--server spinn-4", ClassicRole.Server)]
    [InlineData("client proxy.example", ClassicRole.Client)]
    [InlineData("-c proxy.example", ClassicRole.Client)]
    [InlineData("proxy.example --client", ClassicRole.Client)]
    public async Task Verbs_and_original_spellings_give_the_original_defaults(string args, ClassicRole role)
    {
        var options = await ParseAsync(args);

        Assert.Equal(role, options.Role);
        Assert.Equal(args.Contains("spinn-4", StringComparison.Ordinal) ? "spinn-4" : "proxy.example", options.Target);
        Assert.Equal((17893, 54321, 17894, 17895), (options.ScpPort, options.BootPort, options.ScpTunnelPort, options.BootTunnelPort));
        Assert.False(options.BootViaTcp || options.ScpViaTcp || options.Quiet);
        Assert.Null(options.BindAddress);
        Assert.Equal(role == ClassicRole.Server ? IPAddress.Any : IPAddress.Loopback, options.EffectiveBindAddress);
        Assert.Equal((65536, 256), (options.MaxFrameLength, options.MaxFlows));
        Assert.Equal((TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(50), TimeSpan.Zero),
            (options.FlowIdleTimeout, options.BootMinGap, options.StatsInterval));
        Assert.Empty(options.Allow);
        Assert.Equal(TimeSpan.FromMicroseconds(100), options.SpinBeforeSleep);
    }

    [Fact]
    public async Task Every_flag_reaches_the_options()
    {
        var options = await ParseAsync(
            "-s -tT -q board --scp-port 1 --boot-port 2 --scp-tunnel-port 3 --boot-tunnel-port 4 --bind ::1 " +
            "--allow 10.0.0.0/8 --allow 192.168.1.7 --max-frame 1024 --flow-idle-timeout 90 --max-flows 9 " +
            "--boot-min-gap 20 --stats-interval 1m --spin 250");

        Assert.Equal(ClassicRole.Server, options.Role);
        Assert.Equal("board", options.Target);
        Assert.True(options.BootViaTcp && options.ScpViaTcp && options.Quiet);
        Assert.Equal((1, 2, 3, 4), (options.ScpPort, options.BootPort, options.ScpTunnelPort, options.BootTunnelPort));
        Assert.Equal(IPAddress.IPv6Loopback, options.BindAddress);
        Assert.Equal([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("192.168.1.7/32")], options.Allow);
        Assert.Equal((1024, 9), (options.MaxFrameLength, options.MaxFlows));
        Assert.Equal((TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(20), TimeSpan.FromMinutes(1)),
            (options.FlowIdleTimeout, options.BootMinGap, options.StatsInterval));
        Assert.Equal(TimeSpan.FromMicroseconds(250), options.SpinBeforeSleep);
    }

    [Theory]
    [InlineData("server board --spin 0", 0)]
    [InlineData("client host --spin 40us", 40)]
    [InlineData("-s board --spin 1ms", 1000)]
    public async Task Spin_takes_a_duration_in_microseconds_and_zero_turns_it_off(string args, int microseconds)
    {
        var options = await ParseAsync(args);

        Assert.Equal(TimeSpan.FromMicroseconds(microseconds), options.SpinBeforeSleep);
    }

    [Theory]
    [InlineData("", "choose a mode")]
    [InlineData("-s", "no board given")]
    [InlineData("-c", "no proxy server given")]
    [InlineData("-s -c host", "exclude each other")]
    [InlineData("server board --max-frame 70000", "--max-frame 70000 is outside")]
    [InlineData("server board --scp-port 0", "--scp-port 0 is outside 1..65535")]
    [InlineData("client host --scp-tunnel-port 0", "--scp-tunnel-port 0 is outside 1..65535")]
    [InlineData("server board --scp-tunnel-port 5 --boot-tunnel-port 5", "both 5")]
    [InlineData("client host --scp-port 70000", "--scp-port 70000 is outside 0..65535")]
    [InlineData("server board --max-flows 0 --flow-idle-timeout 0", "--max-flows 0")]
    [InlineData("-c host --allow 10.0.0.0/8", "--allow applies to the server")]
    [InlineData("server board --spin 2ms", "--spin 2000 µs is outside 0..1000 µs")]
    public async Task Bad_values_are_one_usage_error(string args, string expected)
    {
        var error = await Assert.ThrowsAsync<RelayToolException>(() => ParseAsync(args));

        Assert.Equal(ExitCode.Usage, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("server board --flow-idle-timeout soon")]
    [InlineData("server board --allow 10.0.0.0/99")]
    [InlineData("server board --bind localhost")]
    [InlineData("server board --no-such-flag")]
    [InlineData("client host --allow 10.0.0.0/8")]
    [InlineData("client host --boot-min-gap 10")]
    [InlineData("server board --spin -5")]
    public void Malformed_flags_are_parse_errors(string args)
    {
        var root = Build((_, _) => Task.FromResult(0));

        Assert.NotEmpty(root.Parse(args).Errors);
    }

    [Fact]
    public async Task Relay_with_no_arguments_exits_with_the_usage_code()
    {
        Assert.Equal((int)ExitCode.Usage, await RelayCommandLine.InvokeAsync([]));
        Assert.Equal((int)ExitCode.Usage, await RelayCommandLine.InvokeAsync(["server", "board", "--max-flows", "0"]));
    }

    [Fact]
    public async Task An_unresolvable_target_exits_with_the_network_code()
    {
        Assert.Equal((int)ExitCode.Network, await RelayCommandLine.InvokeAsync(["server", "no-such-board.invalid", "--bind", "127.0.0.1"]));
    }

    [Fact]
    public void Help_explains_every_option_with_its_default()
    {
        var output = new StringWriter();
        var result = RelayCommandLine.Build().Parse("server --help");
        result.InvocationConfiguration.Output = output;
        result.Invoke();
        var help = output.ToString();

        foreach (var flag in new[] { "-t, --boot-via-tcp", "-T, --sdp-via-tcp", "--scp-port", "--boot-port", "--scp-tunnel-port",
                     "--boot-tunnel-port", "-q, --quiet", "--bind", "--allow", "--max-frame", "--flow-idle-timeout", "--max-flows",
                     "--boot-min-gap", "--stats-interval", "--spin" })
        {
            Assert.Contains(flag, help, StringComparison.Ordinal);
        }

        foreach (var value in new[] { "[default: 17893]", "[default: 54321]", "[default: 17894]", "[default: 17895]",
                     "[default: 65536]", "[default: 256]", "[default: 5m]", "[default: 50ms]", "[default: 100us]", "client 127.0.0.1" })
        {
            Assert.Contains(value, help, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("00:", help, StringComparison.Ordinal);
    }

    private static RootCommand Build(Func<ClassicProxyOptions, CancellationToken, Task<int>> run)
    {
        var root = new RootCommand();
        var classic = new ClassicCommands(run);
        root.Subcommands.Add(classic.CreateServer());
        root.Subcommands.Add(classic.CreateClient());
        classic.AddRootSpellings(root);
        return root;
    }

    /// <summary>Parses and invokes with a recorder instead of the relay; tool errors propagate.</summary>
    private static async Task<ClassicProxyOptions> ParseAsync(string args)
    {
        ClassicProxyOptions? seen = null;
        var root = Build((options, _) =>
        {
            seen = options;
            return Task.FromResult(0);
        });
        var parse = root.Parse(args);
        Assert.Empty(parse.Errors);
        await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        return Assert.IsType<ClassicProxyOptions>(seen);
    }
}
