using System.CommandLine;
using FastSpinnRelay.Relay.Demo;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Cli;

/// <summary><c>relay demo</c>: drives the built-in emulated board and prints what happened, with rates.</summary>
public sealed class DemoCommand
{
    private static readonly DemoOptions Defaults = new();

    private readonly Option<DemoVia> via = new("--via")
    {
        Description = "How the host tools reach the board: tunnel (an in-process relay tunnel connect -> relay tunnel serve over loopback TCP, " +
                      "live output included), classic (an in-process relay client -> relay server pair over UDP), classic-tcp (the same with " +
                      "-t -T: TCP between them, boot packets re-paced; live output then comes straight from the board) or direct. [default: tunnel]",
        HelpName = "PATH",
        CustomParser = ParseVia,
        DefaultValueFactory = _ => Defaults.Via,
    };

    private readonly Option<TimeSpan> bootGap = new("--boot-gap")
    {
        Description = $"Pause between boot packets (default {Defaults.BootGap.TotalMilliseconds:0}ms; rig uses 50ms on real boards).",
        HelpName = "DURATION",
        CustomParser = r => ValueParsers.Duration(r, "ms"),
        DefaultValueFactory = _ => Defaults.BootGap,
    };

    private readonly Option<int> memoryBytes = new("--memory-bytes")
    {
        Description = $"Bytes written to board memory and read back (default {Defaults.MemoryBytes}).",
        HelpName = "N",
        DefaultValueFactory = _ => Defaults.MemoryBytes,
    };

    private readonly Option<int> scpRequests = new("--scp-requests")
    {
        Description = $"SCP VER round trips to time, one at a time (default {Defaults.ScpRequests}).",
        HelpName = "N",
        DefaultValueFactory = _ => Defaults.ScpRequests,
    };

    private readonly Option<double> spikeRate = new("--spike-rate")
    {
        Description = $"Live output rate in EIEIO packets/s, 64 spikes each (default {Defaults.SpikeRate}).",
        HelpName = "PACKETS/S",
        DefaultValueFactory = _ => Defaults.SpikeRate,
    };

    private readonly Option<int> spikePackets = new("--spike-packets")
    {
        Description = $"Live output packets to stream and check for loss, duplication and reordering (default {Defaults.SpikePackets}).",
        HelpName = "N",
        DefaultValueFactory = _ => Defaults.SpikePackets,
    };

    private static DemoVia ParseVia(System.CommandLine.Parsing.ArgumentResult result)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        switch (token.Trim().ToLowerInvariant())
        {
            case "direct":
                return DemoVia.Direct;
            case "classic":
                return DemoVia.Classic;
            case "classic-tcp":
                return DemoVia.ClassicTcp;
            case "tunnel":
                return DemoVia.Tunnel;
            default:
                result.AddError($"'{Log.Escape(token, 40)}' is not a demo path for --via (tunnel, classic, classic-tcp, direct)");
                return Defaults.Via;
        }
    }

    public Command Create()
    {
        var command = new Command("demo",
            "Start an emulated SpiNNaker board in this process and drive it as a host tool would: version probe, " +
            "boot of a 27 KiB image, memory write and read-back, timed SCP round trips, and a live spike stream " +
            "checked for loss. Prints one line per step with what it measured; exit code 1 if any step fails.");
        command.Options.Add(via);
        command.Options.Add(bootGap);
        command.Options.Add(memoryBytes);
        command.Options.Add(scpRequests);
        command.Options.Add(spikeRate);
        command.Options.Add(spikePackets);
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var options = new DemoOptions
        {
            Via = parse.GetValue(via),
            BootGap = parse.GetValue(bootGap),
            MemoryBytes = parse.GetValue(memoryBytes),
            ScpRequests = parse.GetValue(scpRequests),
            SpikeRate = parse.GetValue(spikeRate),
            SpikePackets = parse.GetValue(spikePackets),
        };
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new RelayToolException(ExitCode.Usage, string.Join("; ", problems));
        }

        Log.Level = LogLevel.Warning; // the demo prints its own lines; the tunnel's connection log would interleave
        var ok = await new DemoRunner(options, Console.Out).RunAsync(cancellationToken).ConfigureAwait(false);
        return (int)(ok ? ExitCode.Ok : ExitCode.Failed);
    }
}
