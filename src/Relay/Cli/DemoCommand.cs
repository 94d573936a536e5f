using System.CommandLine;
using FastSpinnRelay.Relay.Demo;

namespace FastSpinnRelay.Relay.Cli;

/// <summary><c>relay demo</c>: drives the built-in emulated board and prints what happened, with rates.</summary>
public sealed class DemoCommand
{
    private static readonly DemoOptions Defaults = new();

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

    public Command Create()
    {
        var command = new Command("demo",
            "Start an emulated SpiNNaker board in this process and drive it as a host tool would: version probe, " +
            "boot of a 27 KiB image, memory write and read-back, timed SCP round trips, and a live spike stream " +
            "checked for loss. Prints one line per step with what it measured; exit code 1 if any step fails.");
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

        var ok = await new DemoRunner(options, Console.Out).RunAsync(cancellationToken).ConfigureAwait(false);
        return (int)(ok ? ExitCode.Ok : ExitCode.Failed);
    }
}
