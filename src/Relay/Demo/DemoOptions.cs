namespace FastSpinnRelay.Relay.Demo;

/// <summary>What `relay demo` does. Defaults finish in a few seconds on a laptop.</summary>
public sealed record DemoOptions
{
    /// <summary>Which way the host tools reach the board (default: straight to it).</summary>
    public DemoVia Via { get; init; } = DemoVia.Direct;

    /// <summary>Pause between boot packets (rig uses 50 ms; the emulator needs none).</summary>
    public TimeSpan BootGap { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Bytes written to board memory and read back.</summary>
    public int MemoryBytes { get; init; } = 64 * 1024;

    /// <summary>SCP VER round trips timed one at a time.</summary>
    public int ScpRequests { get; init; } = 5_000;

    /// <summary>Live output: EIEIO packets per second.</summary>
    public double SpikeRate { get; init; } = 20_000;

    /// <summary>Live output: packets to stream.</summary>
    public int SpikePackets { get; init; } = 20_000;

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (BootGap < TimeSpan.Zero || BootGap > TimeSpan.FromSeconds(1))
        {
            problems.Add($"--boot-gap {BootGap} is outside 0..1 s");
        }

        if (MemoryBytes is < 4 or > 16 * 1024 * 1024)
        {
            problems.Add($"--memory-bytes {MemoryBytes} is outside 4..16777216");
        }

        if (ScpRequests is < 1 or > 10_000_000)
        {
            problems.Add($"--scp-requests {ScpRequests} is outside 1..10000000");
        }

        if (!(SpikeRate is > 0 and <= 1_000_000))
        {
            problems.Add($"--spike-rate {SpikeRate} is outside (0, 1000000] packets/s");
        }

        if (SpikePackets is < 1 or > 100_000_000)
        {
            problems.Add($"--spike-packets {SpikePackets} is outside 1..100000000");
        }

        return problems;
    }
}
