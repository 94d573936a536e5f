using System.Text.RegularExpressions;
using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;
using static FastSpinnRelay.Relay.Tests.TestSupport.RelayChildOutput;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// Per-user certificates as an admin and users set them up, each step a relay child process on loopback (ports 0):
/// <c>tunnel certgen --server</c> makes the server's certificate and <c>tunnel certgen</c> two users'; the admin appends Alice's printed line to the
/// allow file; <c>tunnel serve --tls-client-allow FILE</c> runs without a key; <c>tunnel connect --tls-client-cert</c>
/// as Alice reaches the emulated board, and as Mallory is refused with a clear error. Every wait is bounded; every
/// child is stopped.
/// </summary>
public sealed partial class TunnelClientCertificateCliTests : IDisposable
{
    private readonly ScratchDirectory _directory = new("relay-client-certs-cli-");
    private readonly BenchEnvironment _relay = new(new BenchSettings());

    [Fact]
    public void Certgen_allow_file_serve_and_connect_let_a_listed_user_in_and_keep_an_unlisted_one_out()
    {
        var serverFingerprint = CertgenServer("server", "localhost");
        var (_, aliceLine) = Certgen("alice", null);
        Certgen("mallory", null);
        File.WriteAllText(_directory.File("clients"), "# users of this board\n");
        File.AppendAllText(_directory.File("clients"), aliceLine + "\n"); // what the admin does with the line certgen printed
        using var board = new BoardEmulator(Loopback.Board());

        using var serve = _relay.StartRelay(
            "tunnel", "serve", "127.0.0.1", "--scp-port", $"{board.ScpEndPoint.Port}", "--boot-port", $"{board.BootEndPoint.Port}",
            "--listen", "127.0.0.1:0", "--tls-cert", _directory.File("server.crt"), "--tls-key", _directory.File("server.key"),
            "--tls-client-allow", _directory.File("clients"));
        var port = WaitForNumber(serve, ListeningOn());
        Assert.Contains("client certificates: 1 let in", serve.RecentOutput(), StringComparison.Ordinal);

        using var alice = Connect(port, serverFingerprint, "alice");
        var scpPort = WaitForNumber(alice, ScpOn());
        using (var scp = new ScpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, scpPort)) { Timeout = TimeSpan.FromSeconds(2) })
        {
            Assert.Equal("SC&MP/SpiNNaker", scp.Version().Name);
        }

        var aliceShort = aliceLine[..16];
        Assert.True(Loopback.WaitUntil(() => serve.RecentOutput().Contains($"client: certificate {aliceShort} (alice)", StringComparison.Ordinal)), serve.RecentOutput());

        using var mallory = Connect(port, serverFingerprint, "mallory");
        Assert.True(Loopback.WaitUntil(() => mallory.RecentOutput().Contains("is not on the server's list", StringComparison.Ordinal) || mallory.HasExited),
            mallory.RecentOutput());
        Assert.True(Loopback.WaitUntil(() => serve.RecentOutput().Contains("is not on the server's list", StringComparison.Ordinal)), serve.RecentOutput());

        // Stopped, serve counts Alice's connection as accepted and Mallory's attempts as refused.
        mallory.Stop(Loopback.Limit);
        alice.Stop(Loopback.Limit);
        serve.Stop(Loopback.Limit);
        Assert.True(Loopback.WaitUntil(() => StoppedLine().IsMatch(serve.RecentOutput())), serve.RecentOutput()); // output is read asynchronously
        var stopped = StoppedLine().Match(serve.RecentOutput());
        Assert.Equal("1", stopped.Groups[1].Value);
        Assert.NotEqual("0", stopped.Groups[2].Value);
        Assert.Equal(0, serve.ExitCode);
    }

    public void Dispose() => _directory.Dispose();

    /// <summary>Runs <c>relay tunnel certgen -o DIR/NAME</c>; returns the fingerprint and the allow-file line it printed last.</summary>
    private (string Fingerprint, string AllowLine) Certgen(string file, string? name)
    {
        string[] nameFlag = name is null ? [] : ["--name", name];
        using var certgen = _relay.StartRelay(["tunnel", "certgen", "-o", _directory.File(file), .. nameFlag]);
        Assert.Equal(0, certgen.WaitForExit(Loopback.Limit));
        Assert.True(Loopback.WaitUntil(() => AllowLine().IsMatch(certgen.RecentOutput())), certgen.RecentOutput()); // output is read asynchronously
        var line = AllowLine().Match(certgen.RecentOutput());
        return (line.Groups[1].Value, line.Value);
    }

    /// <summary>Runs <c>relay tunnel certgen --server -o DIR/FILE --name HOST</c>; returns the fingerprint it printed for --tls-pin.</summary>
    private string CertgenServer(string file, string host)
    {
        using var certgen = _relay.StartRelay("tunnel", "certgen", "--server", "-o", _directory.File(file), "--name", host);
        Assert.Equal(0, certgen.WaitForExit(Loopback.Limit));
        Assert.True(Loopback.WaitUntil(() => PinLine().IsMatch(certgen.RecentOutput())), certgen.RecentOutput()); // output is read asynchronously
        return PinLine().Match(certgen.RecentOutput()).Groups[1].Value;
    }

    private ChildProcess Connect(int port, string serverFingerprint, string user) => _relay.StartRelay(
        "tunnel", "connect", $"127.0.0.1:{port}", "--tls-pin", serverFingerprint,
        "--tls-client-cert", _directory.File($"{user}.crt"), "--tls-client-key", _directory.File($"{user}.key"), "--scp-port", "0", "--boot-port", "0");

    [GeneratedRegex(@"\b([0-9a-f]{64})  [a-z.]+\b")]
    private static partial Regex AllowLine();

    [GeneratedRegex(@"stopped: (\d+) client connections accepted, (\d+) refused")]
    private static partial Regex StoppedLine();
}
