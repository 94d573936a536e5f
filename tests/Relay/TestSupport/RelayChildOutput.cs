using System.Globalization;
using System.Text.RegularExpressions;
using FastSpinnRelay.Relay.Bench.Internal;

namespace FastSpinnRelay.Relay.Tests.TestSupport;

/// <summary>What the tunnel tests read from a relay child's output: the ports it bound, the pin certgen printed.</summary>
internal static partial class RelayChildOutput
{
    /// <summary>Waits (bounded) for <paramref name="pattern"/> in the child's output; returns its first group as a number.</summary>
    public static int WaitForNumber(ChildProcess child, Regex pattern)
    {
        Assert.True(Loopback.WaitUntil(() => pattern.IsMatch(child.RecentOutput()) || child.HasExited), child.RecentOutput());
        var match = pattern.Match(child.RecentOutput());
        Assert.True(match.Success, $"{child.CommandLine}: {child.RecentOutput()}");
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary><c>server</c>'s and <c>client</c>'s start line for their SCP route: the UDP port it listens on.</summary>
    [GeneratedRegex(@"scp: listening on UDP 127\.0\.0\.1:(\d+),")]
    public static partial Regex ScpRouteOn();

    /// <summary><c>server</c>'s and <c>client</c>'s start line for their boot route: the UDP port it listens on.</summary>
    [GeneratedRegex(@"boot: listening on UDP 127\.0\.0\.1:(\d+),")]
    public static partial Regex BootRouteOn();

    /// <summary><c>tunnel serve</c>'s start line: its TCP port.</summary>
    [GeneratedRegex(@"listening on (?:tcp|tls)://127\.0\.0\.1:(\d+) for tunnel clients")]
    public static partial Regex ListeningOn();

    /// <summary><c>tunnel connect</c>'s start line: its local SCP port.</summary>
    [GeneratedRegex(@"SCP on UDP 127\.0\.0\.1:(\d+),")]
    public static partial Regex ScpOn();

    /// <summary><c>tunnel certgen --server</c>'s last line: the fingerprint for --tls-pin.</summary>
    [GeneratedRegex(@"--tls-pin ([0-9a-f]{64})")]
    public static partial Regex PinLine();
}
