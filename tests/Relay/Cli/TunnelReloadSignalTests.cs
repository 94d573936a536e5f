using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// <c>relay tunnel serve</c> as deployed, a child on 127.0.0.1 port 0 in front of an emulated board, given SIGHUP (what
/// <c>systemctl reload</c> sends) after its allow file and key file were edited: the client whose certificate was
/// deleted and the client with the old key lose their sessions at once and are told why, while another certificate's
/// client keeps its connection and goes on reaching the board; files it would refuse at start change nothing.
/// </summary>
public sealed partial class TunnelReloadSignalTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tunnel-reload-").FullName;
    private readonly TestCertificates _certificates = new();

    [Fact]
    public async Task Sighup_revokes_a_deleted_certificate_and_an_old_key_and_the_others_carry_on()
    {
        using var board = new BoardEmulator(Loopback.Board());
        var key = Path.Combine(_directory, "tunnel.key");
        var clients = Path.Combine(_directory, "clients");
        var oldKey = TunnelKey.Generate();
        File.WriteAllText(key, oldKey.Format() + "\n");
        var alice = $"{TunnelCertificates.Fingerprint(_certificates.Alice)}  alice\n";
        File.WriteAllText(clients, alice + $"{TunnelCertificates.Fingerprint(_certificates.Mallory)}  mallory\n");
        var environment = new BenchEnvironment(new BenchSettings());
        using var relay = environment.StartRelay(
            "tunnel", "serve", "127.0.0.1", "--scp-port", Port(board.ScpEndPoint), "--boot-port", Port(board.BootEndPoint), "--listen", "127.0.0.1:0",
            "--key-file", key, "--tls-self-signed", "--tls-client-allow", clients);
        Match? listening = null;
        Assert.True(Loopback.WaitUntil(() => (listening = Listening().Match(relay.RecentOutput())).Success || relay.HasExited), relay.RecentOutput());
        Assert.False(relay.HasExited, relay.RecentOutput());
        var port = int.Parse(listening!.Groups[1].Value, CultureInfo.InvariantCulture);
        var pin = Pin().Match(relay.RecentOutput()).Groups[1].Value;

        var aliceLog = new TestLog();
        var malloryLog = new TestLog();
        var keyLog = new TestLog();
        await using var alicePortal = Connect(port, pin, _certificates.Alice, null, aliceLog);
        await using var malloryPortal = Connect(port, pin, _certificates.Mallory, null, malloryLog);
        await using var keyPortal = Connect(port, pin, null, oldKey, keyLog);
        foreach (var (portal, i) in new[] { alicePortal, malloryPortal, keyPortal }.Select((p, i) => (p, i)))
        {
            Assert.Equal(0, await Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(portal.ScpEndPoint, 0x6000_0000u + (0x1000u * (uint)i), seed: i + 1)).WaitAsync(Loopback.Limit));
        }

        var aliceSession = alicePortal.Client.Session.IdText;
        File.WriteAllText(clients, alice);
        File.WriteAllText(key, TunnelKey.Generate().Format() + "\n");
        Hangup.Send(relay);
        Assert.True(
            Loopback.WaitUntil(() => relay.RecentOutput().Contains(
                "reloaded: client certificates removed: mallory (1 session ended); pre-shared key changed (1 session ended)", StringComparison.Ordinal)),
            relay.RecentOutput());
        Assert.Contains($"ended: client certificate {TunnelCertificates.Fingerprint(_certificates.Mallory)[..16]} was removed from the server's list; client: certificate", relay.RecentOutput(), StringComparison.Ordinal);
        Assert.Contains("ended: the server's pre-shared key changed; client: pre-shared key", relay.RecentOutput(), StringComparison.Ordinal);
        Assert.True(Loopback.WaitUntil(() => malloryLog.Contains("connection closed: Revoked (peer sent ERROR AuthMethodNotAllowed: \"client certificate")), malloryLog.ToString());
        Assert.True(Loopback.WaitUntil(() => keyLog.Contains("connection closed: Revoked (peer sent ERROR AuthenticationFailed: \"the server's pre-shared key changed\")")), keyLog.ToString());
        Assert.True(Loopback.WaitUntil(() => malloryPortal.Client.LastFailure == TunnelCloseReason.AuthMethodNotAllowed), malloryLog.ToString()); // and stays out

        // Alice: the same session on the same connection, still reaching the board.
        Assert.Equal(0, await Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(alicePortal.ScpEndPoint, 0x6000_0000u, seed: 1)).WaitAsync(Loopback.Limit));
        Assert.Equal(aliceSession, alicePortal.Client.Session.IdText);
        Assert.Equal(1, alicePortal.Client.Handshakes);

        // Files a start would refuse: each problem named, nothing changes, Alice carries on.
        File.WriteAllText(clients, alice + "nonsense\n");
        Hangup.Send(relay);
        Assert.True(
            Loopback.WaitUntil(() => relay.RecentOutput().Contains(
                $"reload refused, still serving the credentials read before: {clients} line 2: 'nonsense' is not a SHA-256 fingerprint", StringComparison.Ordinal)),
            relay.RecentOutput());
        Assert.Equal(0, await Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(alicePortal.ScpEndPoint, 0x6000_0000u, seed: 1)).WaitAsync(Loopback.Limit));
        Assert.Equal(1, alicePortal.Client.Handshakes);

        var report = relay.Stop(Loopback.Limit);
        Assert.True(relay.ExitCode == 0, $"exit code {relay.ExitCode}: {relay.RecentOutput()}");
        Assert.Equal(1, report!.Counters["tunnelReloadsApplied"]);
        Assert.Equal(1, report.Counters["tunnelReloadsRefused"]);
    }

    /// <summary>
    /// A script that waits for the "listening" line and sends SIGHUP at once (a deploy's reload right after a start):
    /// the handler was in place before that line, so the relay runs on and reloads, never ended by the signal's default.
    /// </summary>
    [Fact]
    public void Sighup_as_soon_as_it_says_listening_reloads_and_does_not_end_it()
    {
        using var board = new BoardEmulator(Loopback.Board());
        var key = Path.Combine(_directory, "tunnel.key");
        File.WriteAllText(key, TunnelKey.Generate().Format() + "\n");
        var environment = new BenchEnvironment(new BenchSettings());
        using var relay = environment.StartRelay(
            "tunnel", "serve", "127.0.0.1", "--scp-port", Port(board.ScpEndPoint), "--boot-port", Port(board.BootEndPoint), "--listen", "127.0.0.1:0",
            "--key-file", key);
        Assert.True(Loopback.WaitUntil(() => RelayChildOutput.ListeningOn().IsMatch(relay.RecentOutput()) || relay.HasExited), relay.RecentOutput());
        Hangup.Send(relay);

        Assert.True(
            Loopback.WaitUntil(() => relay.RecentOutput().Contains("tunnel-serve: reloaded: nothing changed", StringComparison.Ordinal) || relay.HasExited),
            relay.RecentOutput());
        Assert.False(relay.HasExited, relay.RecentOutput());
        var report = relay.Stop(Loopback.Limit);
        Assert.True(relay.ExitCode == 0, $"exit code {relay.ExitCode}: {relay.RecentOutput()}");
        Assert.Equal(1, report!.Counters["tunnelReloadsApplied"]);
        Assert.Equal(0, report.Counters["tunnelReloadsRefused"]);
    }

    public void Dispose()
    {
        _certificates.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A <c>relay tunnel connect</c> in this process: with <paramref name="certificate"/>, or else <paramref name="key"/>.</summary>
    private static TunnelPortal Connect(int port, string pin, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, TunnelKey? key, TestLog log) =>
        TunnelPortal.Start(new TunnelConnectOptions
        {
            Connector = new TcpTunnelConnector("127.0.0.1", port, new TunnelTlsClientOptions { TargetHost = "localhost", PinnedServerCertificate = pin, ClientCertificate = certificate }),
            ServerLabel = $"127.0.0.1:{port}",
            ScpPort = 0,
            BootPort = 0,
            Tunnel = new TunnelClientOptions
            {
                Key = key,
                ReconnectMinDelay = TimeSpan.FromMilliseconds(10),
                ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
                Log = log,
            },
        });

    private static string Port(IPEndPoint endPoint) => endPoint.Port.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"listening on tls://127\.0\.0\.1:(\d+) for tunnel clients")]
    private static partial Regex Listening();

    [GeneratedRegex(@"--tls-pin ([0-9a-f]{64})")]
    private static partial Regex Pin();
}
