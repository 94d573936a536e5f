using System.Globalization;
using FastSpinnRelay.Relay.Bench.Internal;

namespace FastSpinnRelay.Relay.Tests.TestSupport;

/// <summary>SIGHUP for a child relay, as <c>systemctl reload</c> sends it.</summary>
internal static class Hangup
{
    /// <summary>Sends SIGHUP to <paramref name="relay"/>, as <c>ExecReload=/bin/kill -HUP $MAINPID</c> does.</summary>
    public static void Send(ChildProcess relay)
    {
        using var kill = ChildProcess.Start("/bin/kill", ["-HUP", relay.Pid.ToString(CultureInfo.InvariantCulture)]);
        Assert.Equal(0, kill.WaitForExit(Loopback.Limit));
    }
}
