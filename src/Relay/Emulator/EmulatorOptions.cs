using System.Net;

namespace FastSpinnRelay.Relay.Emulator;

/// <summary>Settings of one emulated board. Defaults match a real SpiNN-5 board as host tools see it.</summary>
public sealed record EmulatorOptions
{
    /// <summary>Address the board's sockets bind to. Default 127.0.0.1 (an emulator has no business on the LAN).</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>SCP port (default 17893). 0 picks a free port; read the chosen one from the emulator.</summary>
    public int ScpPort { get; init; } = 17893;

    /// <summary>Boot port (default 54321). 0 picks a free port.</summary>
    public int BootPort { get; init; } = 54321;

    /// <summary>Fault injection: drop one in N SCP requests without a reply (0 = never).</summary>
    public int DropOneInN { get; init; }

    /// <summary>Fault injection: hold every SCP reply this long before sending it (transient tags stay taken meanwhile).</summary>
    public TimeSpan ReplyDelay { get; init; }

    /// <summary>How long after the boot END packet the board reports itself booted (real boards: about a second).</summary>
    public TimeSpan BootSettleTime { get; init; }

    /// <summary>The software version VER reports (default "4.0.0"; name is always SC&amp;MP/SpiNNaker). Printable ASCII, 1–64 characters.</summary>
    public string ScampVersion { get; init; } = "4.0.0";

    /// <summary>
    /// Live output: the IP tag (0–7) the spike source sends through once the host sets it (with IPTAG SET, usually
    /// STRIP + USE_SENDER); −1 (default) = no tag, so live output goes to <see cref="SpikeDestination"/> or nowhere.
    /// </summary>
    public int SpikeTag { get; init; } = -1;

    /// <summary>Live output: where packets go while the spike tag is not set (default null = wait for the tag).</summary>
    public IPEndPoint? SpikeDestination { get; init; }

    /// <summary>Live output: EIEIO packets per second (default 1000, one per 1 ms timestep).</summary>
    public double SpikeRate { get; init; } = 1000;

    /// <summary>Live output: UDP payload size in bytes; rounded down to 2 + 4·k (32-bit keys). Default 258 (64 keys).</summary>
    public int SpikePacketSize { get; init; } = 258;

    /// <summary>Live output: neurons in the emitting population (keys cycle through it).</summary>
    public int SpikePopulation { get; init; } = 1024;

    /// <summary>Live output: packets to send before stopping (0 = until stopped).</summary>
    public long SpikeLimit { get; init; }

    /// <summary>Every problem with these settings, each naming the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (ScpPort is < 0 or > 65535)
        {
            problems.Add($"SCP port {ScpPort} is outside 0..65535");
        }

        if (BootPort is < 0 or > 65535)
        {
            problems.Add($"boot port {BootPort} is outside 0..65535");
        }

        if (ScpPort != 0 && ScpPort == BootPort)
        {
            problems.Add($"SCP and boot ports are both {ScpPort}");
        }

        if (DropOneInN < 0)
        {
            problems.Add($"drop-one-in {DropOneInN} is negative (0 turns it off)");
        }

        if (DropOneInN == 1)
        {
            problems.Add("drop-one-in 1 would drop every request");
        }

        if (ReplyDelay < TimeSpan.Zero || ReplyDelay > TimeSpan.FromMinutes(1))
        {
            problems.Add($"reply delay {ReplyDelay} is outside 0..1 min");
        }

        if (BootSettleTime < TimeSpan.Zero || BootSettleTime > TimeSpan.FromMinutes(1))
        {
            problems.Add($"boot settle time {BootSettleTime} is outside 0..1 min");
        }

        if (string.IsNullOrEmpty(ScampVersion) || ScampVersion.Length > 64 || ScampVersion.Any(c => c is < ' ' or > '~'))
        {
            problems.Add($"version string '{Diagnostics.Log.Escape(ScampVersion ?? "", 70)}' is not 1..64 printable ASCII characters");
        }

        if (SpikeTag is < -1 or >= IpTagTable.FixedCount)
        {
            problems.Add($"spike tag {SpikeTag} is outside 0..7 (or -1 for none)");
        }

        if (SpikeDestination is { Port: 0 })
        {
            problems.Add($"spike destination {SpikeDestination} has port 0");
        }

        if (!(SpikeRate > 0 && SpikeRate <= 10_000_000))
        {
            problems.Add($"spike rate {SpikeRate} is outside (0, 10,000,000] packets/s");
        }

        if (SpikePacketSize is < 6 or > 1024)
        {
            problems.Add($"spike packet size {SpikePacketSize} is outside 6..1024 bytes");
        }

        if (SpikePopulation is < 1 or > 1 << 24)
        {
            problems.Add($"spike population {SpikePopulation} is outside 1..16,777,216");
        }

        if (SpikeLimit < 0)
        {
            problems.Add($"spike limit {SpikeLimit} is negative (0 = unlimited)");
        }

        return problems;
    }
}
