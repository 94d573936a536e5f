using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>
/// Says once per process that the kernel granted a socket less receive buffer than relay asked for: without
/// CAP_NET_ADMIN, <c>net.core.rmem_max</c> caps it (208 KiB on a stock kernel, against the 4 MiB asked), and a
/// boot burst or a spike stream larger than the buffer is dropped while the loop is busy, with no other sign.
/// </summary>
internal static class BufferCapWarning
{
    private static int _warned;

    /// <summary>True when <paramref name="granted"/> (as Linux reports it: twice the effective size) is short of <paramref name="requested"/>.</summary>
    public static bool IsCapped(int requested, int granted) =>
        requested > 0 && granted < (OperatingSystem.IsLinux() ? 2L * requested : requested);

    /// <summary>The warning, naming the sizes and the fix.</summary>
    public static string Describe(int requested, int granted)
    {
        var effective = OperatingSystem.IsLinux() ? granted / 2 : granted;
        return $"UDP receive buffers get {Size(effective)} where relay asks for {Size(requested)} (the kernel caps them at net.core.rmem_max): " +
               $"bursts larger than that are dropped while relay is busy; raise it, e.g. sysctl -w net.core.rmem_max={requested} (docs/install.md), " +
               "or run with CAP_NET_ADMIN";
    }

    /// <summary>Logs <see cref="Describe"/> the first time a socket of this process is capped.</summary>
    public static void Note(int requested, int granted)
    {
        if (IsCapped(requested, granted) && Interlocked.Exchange(ref _warned, 1) == 0)
        {
            Log.Warn("udp", Describe(requested, granted));
        }
    }

    private static string Size(long bytes) => bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";
}
