using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// <c>relay emulate</c>: runs a <see cref="BoardEmulator"/> until Ctrl+C / SIGTERM. One option per
/// <see cref="EmulatorOptions"/> setting (defaults taken from it), plus how often to log the counters.
/// </summary>
public sealed class EmulateCommand
{
    private const string Component = "emulator";

    private static readonly EmulatorOptions Defaults = new();
    private static readonly TimeSpan DefaultStatsEvery = TimeSpan.FromSeconds(10);

    private readonly Option<IPAddress> address = new("--address")
    {
        Description = $"Address the board's ports listen on (default {Defaults.Address}; 0.0.0.0 makes it reachable from other machines).",
        HelpName = "IP",
        CustomParser = r => ValueParsers.Address(r) ?? IPAddress.None,
    };

    private readonly Option<int> scpPort = new("--scp-port")
    {
        Description = $"UDP port for SCP commands; board replies and live output leave from it too (default {Defaults.ScpPort}, as a real board; 0 = any free port).",
        HelpName = "PORT",
    };

    private readonly Option<int> bootPort = new("--boot-port")
    {
        Description = $"UDP port for boot packets (default {Defaults.BootPort}, as a real board; 0 = any free port).",
        HelpName = "PORT",
    };

    private readonly Option<int> dropOneIn = new("--drop-one-in")
    {
        Description = "Fault injection: silently drop every Nth SCP request that wants a reply, so clients must retry (default 0 = never).",
        HelpName = "N",
    };

    private readonly Option<TimeSpan> replyDelay = new("--reply-delay")
    {
        Description = "Fault injection: hold every SCP reply this long, e.g. 20ms (default 0). Like a real board, only 8 replies can be owed at once; more requests are dropped.",
        HelpName = "DURATION",
        CustomParser = r => ValueParsers.Duration(r, "ms"),
    };

    private readonly Option<TimeSpan> bootSettle = new("--boot-settle")
    {
        Description = "Time from the last boot packet until VER reports the board booted, e.g. 1s (default 0; real boards take about a second).",
        HelpName = "DURATION",
        CustomParser = r => ValueParsers.Duration(r, "ms"),
    };

    private readonly Option<string> versionString = new("--version-string")
    {
        Description = $"Software version VER reports after the name SC&MP/SpiNNaker (default {Defaults.ScampVersion}; spinnman wants 4.x.y).",
        HelpName = "TEXT",
    };

    private readonly Option<int> spikeTag = new("--spike-tag")
    {
        Description = "Live output: send EIEIO spike packets through this IP tag (0-7) once a host sets it, e.g. with IPTAG SET + STRIP + USE_SENDER (default -1 = no tag).",
        HelpName = "TAG",
    };

    private readonly Option<IPEndPoint?> spikeTo = new("--spike-to")
    {
        Description = "Live output: send spike packets here while the spike tag is not set, or always when there is no tag (default: nowhere).",
        HelpName = "HOST:PORT",
        CustomParser = ParseEndPoint,
    };

    private readonly Option<double> spikeRate = new("--spike-rate")
    {
        Description = $"Live output: packets per second (default {Defaults.SpikeRate}, one per 1 ms timestep).",
        HelpName = "PACKETS/S",
    };

    private readonly Option<int> spikeSize = new("--spike-size")
    {
        Description = $"Live output: bytes per packet, rounded down to 2 + 4 x keys (default {Defaults.SpikePacketSize} = 64 keys, a full live-packet-gatherer packet).",
        HelpName = "BYTES",
    };

    private readonly Option<int> spikePopulation = new("--spike-population")
    {
        Description = $"Live output: neurons in the firing population the keys cycle through (default {Defaults.SpikePopulation}).",
        HelpName = "N",
    };

    private readonly Option<long> spikeLimit = new("--spike-limit")
    {
        Description = "Live output: stop after this many packets (default 0 = until the emulator stops).",
        HelpName = "N",
    };

    // --stats-interval as every other long-running verb spells it; --stats-every, its first name, still works.
    private readonly Option<TimeSpan> statsEvery = new("--stats-interval", "--stats-every")
    {
        Description = "Log a counters summary this often, e.g. 30s (default 10s; 0 = only at exit).",
        HelpName = "DURATION",
        CustomParser = r => ValueParsers.Duration(r, "s"),
    };

    private EmulateCommand()
    {
        Command = new Command(
            "emulate",
            "Run a software SpiNNaker board on this machine, for trying tools, relays and benchmarks without hardware. " +
            "It answers SCP (version, memory read/write, IP tags) on --scp-port, assembles a boot image sent to " +
            "--boot-port (VER then reports the board booted), and with --spike-tag or --spike-to streams EIEIO " +
            "spike packets. It listens on 127.0.0.1 unless --address says otherwise. Stop it with Ctrl+C.");
        foreach (Option option in All)
        {
            Command.Options.Add(option);
        }

        Command.SetAction((parse, ct) => RunAsync(ReadOptions(parse), ReadStatsEvery(parse), Console.Out, ct));
    }

    /// <summary>The verb with its options.</summary>
    internal Command Command { get; }

    /// <summary>Builds the <c>emulate</c> verb (a new instance per command tree, so options never have two parents).</summary>
    public static Command Create() => new EmulateCommand().Command;

    /// <summary>A fresh verb whose parse results <see cref="ReadOptions"/> can read (tests).</summary>
    internal static EmulateCommand CreateVerb() => new();

    /// <summary>
    /// Runs the emulator until <paramref name="cancellationToken"/> fires. Invalid options: every problem on its own
    /// line on standard error, and <see cref="ExitCode.Usage"/>. A port that cannot be bound:
    /// <see cref="RelayToolException"/> with <see cref="ExitCode.Network"/>. Stopped: <see cref="ExitCode.Ok"/>.
    /// </summary>
    public static async Task<int> RunAsync(
        EmulatorOptions options, TimeSpan statsEvery, TextWriter output, CancellationToken cancellationToken)
    {
        var problems = options.Validate();
        if (statsEvery < TimeSpan.Zero || statsEvery > TimeSpan.FromDays(1))
        {
            problems = [.. problems, $"stats interval {statsEvery} is outside 0..1 day"];
        }

        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                Console.Error.WriteLine($"{Log.ErrorPrefix}relay emulate: {problem}");
            }

            Console.Error.WriteLine("Run 'relay emulate --help' for usage.");
            return (int)ExitCode.Usage;
        }

        BoardEmulator emulator;
        try
        {
            emulator = new BoardEmulator(options, LogLevel.Info);
        }
        catch (EmulatorBindException ex)
        {
            throw new RelayToolException(ExitCode.Network, ex.Message);
        }

        using (emulator)
        {
            await output.WriteLineAsync(Describe(emulator)).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (emulator.HasLiveOutput)
            {
                emulator.StartSpikes();
            }

            await CountersSchedule.LogUntilStoppedAsync(statsEvery, () => Log.Info(Component, emulator.Counters.ToString()), cancellationToken)
                .ConfigureAwait(false);
            Log.Info(Component, "stopping; " + emulator.Counters);
        }

        return (int)ExitCode.Ok;
    }

    /// <summary>The options the command line gives (not yet validated).</summary>
    internal EmulatorOptions ReadOptions(ParseResult parse) => new()
    {
        Address = Get(parse, address, Defaults.Address),
        ScpPort = Get(parse, scpPort, Defaults.ScpPort),
        BootPort = Get(parse, bootPort, Defaults.BootPort),
        DropOneInN = Get(parse, dropOneIn, Defaults.DropOneInN),
        ReplyDelay = Get(parse, replyDelay, Defaults.ReplyDelay),
        BootSettleTime = Get(parse, bootSettle, Defaults.BootSettleTime),
        ScampVersion = Get(parse, versionString, Defaults.ScampVersion),
        SpikeTag = Get(parse, spikeTag, Defaults.SpikeTag),
        SpikeDestination = Get(parse, spikeTo, Defaults.SpikeDestination),
        SpikeRate = Get(parse, spikeRate, Defaults.SpikeRate),
        SpikePacketSize = Get(parse, spikeSize, Defaults.SpikePacketSize),
        SpikePopulation = Get(parse, spikePopulation, Defaults.SpikePopulation),
        SpikeLimit = Get(parse, spikeLimit, Defaults.SpikeLimit),
    };

    /// <summary>How often to log counters: --stats-interval (or --stats-every), default 10 s.</summary>
    internal TimeSpan ReadStatsEvery(ParseResult parse) => Get(parse, statsEvery, DefaultStatsEvery);

    /// <summary>
    /// The option's value, or <paramref name="fallback"/> when it is absent. (Defaults live in the descriptions and
    /// in <see cref="EmulatorOptions"/>, not in a DefaultValueFactory, which would print them a second time in help.)
    /// </summary>
    private static T Get<T>(ParseResult parse, Option<T> option, T fallback) =>
        parse.GetResult(option) is null ? fallback : parse.GetValue(option)!;

    private IEnumerable<Option> All =>
    [
        address, scpPort, bootPort, dropOneIn, replyDelay, bootSettle, versionString,
        spikeTag, spikeTo, spikeRate, spikeSize, spikePopulation, spikeLimit, statsEvery,
    ];

    private static string Describe(BoardEmulator emulator)
    {
        var o = emulator.Options;
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"relay emulate: SC&MP/SpiNNaker {o.ScampVersion} listening for SCP on {emulator.ScpEndPoint} and boot on {emulator.BootEndPoint}");
        if (o.DropOneInN > 0 || o.ReplyDelay > TimeSpan.Zero)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"; faults: drop 1 in {o.DropOneInN}, reply delay {o.ReplyDelay.TotalMilliseconds} ms");
        }

        if (emulator.HasLiveOutput)
        {
            var where = (o.SpikeTag >= 0, o.SpikeDestination) switch
            {
                (true, null) => $"through tag {o.SpikeTag} once it is set",
                (true, { } d) => $"to {d} until tag {o.SpikeTag} is set",
                (false, var d) => $"to {d}",
            };
            text += string.Create(CultureInfo.InvariantCulture, $"; spikes {where} at {o.SpikeRate} packets/s");
        }

        return text;
    }

    /// <summary>HOST:PORT, where HOST is an IPv4 address, [IPv6] or a name (resolved now, IPv4 preferred).</summary>
    private static IPEndPoint? ParseEndPoint(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value.Trim() : "";
        if (EndPointText.TryResolveHostPort(text, out var endPoint, out _))
        {
            return endPoint;
        }

        result.AddError($"'{Log.Escape(text, 80)}' is not HOST:PORT for --spike-to (examples: 127.0.0.1:17895, localhost:9000, [::1]:9000)");
        return null;
    }
}
