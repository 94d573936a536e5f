using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// A running relay stopped with SIGTERM (systemctl stop, the bench) ends with exit code 0: stopping is how it ends,
/// not a failure a service manager should count. Each verb runs as a child on loopback port 0 and is stopped once
/// its start line shows it has bound its sockets (so the signal meets its own handler).
/// </summary>
public sealed class StopExitCodeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("relay-stop-").FullName;

    [Theory]
    [InlineData("server", "server: ")]
    [InlineData("tunnel serve", "listening on")]
    [InlineData("tunnel connect", "tunnel-connect")]
    [InlineData("emulate", "listening for SCP")]
    public void A_running_relay_stopped_with_sigterm_exits_0(string verb, string started)
    {
        var key = Path.Combine(_directory, "tunnel.key");
        string[] arguments = verb switch
        {
            "server" => ["server", "127.0.0.1", "--scp-tunnel-port", "0", "--boot-tunnel-port", "0"],
            "tunnel serve" => ["tunnel", "serve", "127.0.0.1", "--key-file", key, "--listen", "127.0.0.1:0"],
            // Towards a port that refuses: the client keeps retrying, as it does while a gateway is down.
            "tunnel connect" => ["tunnel", "connect", "127.0.0.1:1", "--key-file", key, "--scp-port", "0", "--boot-port", "0"],
            _ => ["emulate", "--scp-port", "0", "--boot-port", "0"],
        };
        var environment = new BenchEnvironment(new BenchSettings());
        if (verb.StartsWith("tunnel", StringComparison.Ordinal))
        {
            using var keygen = environment.StartRelay("tunnel", "keygen", "-o", key);
            Assert.Equal(0, keygen.WaitForExit(Loopback.Limit));
        }

        using var relay = environment.StartRelay(arguments);
        Assert.True(Loopback.WaitUntil(() => relay.RecentOutput().Contains(started, StringComparison.Ordinal) || relay.HasExited), relay.RecentOutput());
        Assert.False(relay.HasExited, relay.RecentOutput());

        relay.Stop(Loopback.Limit);

        Assert.True(relay.ExitCode == 0, $"exit code {relay.ExitCode}: {relay.RecentOutput()}");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
