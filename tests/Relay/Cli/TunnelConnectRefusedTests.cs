using System.Net;
using System.Text.RegularExpressions;
using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Relay.Tests.Tunneling;
using FastSpinnRelay.Tests.Shared;
using static FastSpinnRelay.Relay.Tests.TestSupport.RelayChildOutput;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// <c>relay tunnel connect</c> as a user meets a refusal, each end a relay child on loopback (ports 0): a wrong key, a
/// client certificate not on the server's list and a pin that does not match end it with exit code 4 and one line that
/// names what to check, its local ports closed; a server not reachable yet, or full, is retried until it lets the client
/// in. Every wait is bounded; every child is stopped.
/// </summary>
public sealed class TunnelConnectRefusedTests : IDisposable
{
    private readonly ScratchDirectory _directory = new("relay-connect-refused-");
    private readonly BenchEnvironment _relay = new(new BenchSettings());

    [Fact]
    public void A_wrong_key_ends_connect_with_exit_code_4_naming_the_key_file_and_frees_its_ports()
    {
        using var serve = ServeAnotherKey(out var port);

        using var connect = Connect(port, "--key-file", _directory.File("mine.key"));

        var output = WaitForExit(connect, ExitCode.Refused);
        Assert.Contains($"relay: refused: the tunnel server 127.0.0.1:{port} and this client do not hold the same key", output, StringComparison.Ordinal);
        Assert.Contains($"check that {_directory.File("mine.key")} is a copy of the key file", output, StringComparison.Ordinal);
        Assert.DoesNotContain("handshake failed", output, StringComparison.Ordinal); // one line, not a warning per attempt
        Assert.Contains("tunnel-connect: stopped: scp ", output, StringComparison.Ordinal); // its local ports closed before the exit
    }

    [Fact]
    public void With_retry_when_refused_a_wrong_key_is_a_warning_per_attempt_and_connect_goes_on()
    {
        using var serve = ServeAnotherKey(out var port);

        using var connect = Connect(port, "--key-file", _directory.File("mine.key"), "--retry-when-refused");

        Assert.True(Loopback.WaitUntil(() => Count(connect, "handshake failed: AuthenticationFailed") >= 2 || connect.HasExited), connect.RecentOutput());
        Assert.False(connect.HasExited, connect.RecentOutput());
        connect.Stop(Loopback.Limit);
        Assert.Equal(0, connect.ExitCode);
    }

    [Fact]
    public void A_certificate_not_on_the_list_ends_connect_with_exit_code_4_and_the_line_to_add()
    {
        var pin = ServerCertificate();
        var (alice, _) = ClientCertificate("alice");
        var (mallory, malloryLine) = ClientCertificate("mallory");
        using var serve = Serve("--tls-cert", _directory.File("server.crt"), "--tls-key", _directory.File("server.key"), "--tls-client-allow", alice);
        var port = WaitForNumber(serve, ListeningOn());

        using var connect = Connect(port, "--tls-pin", pin, "--tls-client-cert", _directory.File("mallory.crt"), "--tls-client-key", _directory.File("mallory.key"));

        var output = WaitForExit(connect, ExitCode.Refused);
        // The line goes on with what to do (TunnelRefusalLineTests); the child's output keeps each line's first 300 characters.
        AssertContains($"relay: refused: the tunnel server 127.0.0.1:{port} does not let in the client certificate {_directory.File("mallory.crt")} " +
            $"(peer sent ERROR AuthMethodNotAllowed: \"client certificate {mallory} is not on the server's list\")", output);
        Assert.StartsWith(mallory, malloryLine, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pin_that_does_not_match_ends_connect_with_exit_code_4_naming_both_fingerprints()
    {
        var pin = ServerCertificate();
        TunnelCommand.Keygen(new FileInfo(_directory.File("lab.key")), TextWriter.Null);
        using var serve = Serve("--key-file", _directory.File("lab.key"), "--tls-cert", _directory.File("server.crt"), "--tls-key", _directory.File("server.key"));
        var port = WaitForNumber(serve, ListeningOn());
        var wrongPin = new string('0', 64);

        using var connect = Connect(port, "--tls-pin", wrongPin, "--key-file", _directory.File("lab.key"));

        var output = WaitForExit(connect, ExitCode.Refused);
        Assert.Contains($"relay: refused the tunnel server: the server 127.0.0.1:{port} presented the TLS certificate CN=localhost (SHA-256 {pin}), " +
            $"not the pinned {wrongPin}; check --tls-pin", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_not_reachable_yet_is_retried_and_a_certgen_server_pin_survives_its_restart()
    {
        var pin = ServerCertificate();
        TunnelCommand.Keygen(new FileInfo(_directory.File("lab.key")), TextWriter.Null);
        using var nobody = new RefusingTcpPort();
        await using var path = new CuttableForwarder(new IPEndPoint(IPAddress.Loopback, nobody.Port));
        using var connect = Connect(path.EndPoint.Port, "--tls-pin", pin, "--key-file", _directory.File("lab.key"));
        Assert.True(Loopback.WaitUntil(() => AttemptsFailed(connect) >= 2 || connect.HasExited), connect.RecentOutput());
        Assert.False(connect.HasExited, connect.RecentOutput());

        string[] serveFlags = ["--key-file", _directory.File("lab.key"), "--tls-cert", _directory.File("server.crt"), "--tls-key", _directory.File("server.key")];
        using (var first = Serve(serveFlags))
        {
            path.Target = new IPEndPoint(IPAddress.Loopback, WaitForNumber(first, ListeningOn()));
            Assert.True(Loopback.WaitUntil(() => Connections(connect) == 1 || connect.HasExited), connect.RecentOutput());
            first.Stop(Loopback.Limit);
        }

        using var restarted = Serve(serveFlags); // the same certificate files: the clients' pin still holds
        path.Target = new IPEndPoint(IPAddress.Loopback, WaitForNumber(restarted, ListeningOn()));
        Assert.True(Loopback.WaitUntil(() => Connections(connect) == 2 || connect.HasExited), connect.RecentOutput());
        Assert.False(connect.HasExited, connect.RecentOutput());
        connect.Stop(Loopback.Limit);
        Assert.Equal(0, connect.ExitCode);
    }

    [Fact]
    public void A_full_server_is_retried_until_a_place_is_free()
    {
        TunnelCommand.Keygen(new FileInfo(_directory.File("lab.key")), TextWriter.Null);
        using var serve = Serve("--key-file", _directory.File("lab.key"), "--max-sessions", "1");
        var port = WaitForNumber(serve, ListeningOn());
        using var first = Connect(port, "--key-file", _directory.File("lab.key"));
        Assert.True(Loopback.WaitUntil(() => Connections(first) == 1 || first.HasExited), first.RecentOutput());

        using var second = Connect(port, "--key-file", _directory.File("lab.key"));
        Assert.True(Loopback.WaitUntil(() => Count(second, "handshake failed: SessionLimit") >= 2 || second.HasExited), second.RecentOutput());
        Assert.False(second.HasExited, second.RecentOutput());
        first.Stop(Loopback.Limit); // its goodbye frees the place

        Assert.True(Loopback.WaitUntil(() => Connections(second) == 1 || second.HasExited), second.RecentOutput());
        second.Stop(Loopback.Limit);
        Assert.Equal(0, second.ExitCode);
    }

    public void Dispose() => _directory.Dispose();

    /// <summary><c>certgen --server -o DIR/server --name localhost --name 127.0.0.1</c>; its fingerprint, as printed for --tls-pin.</summary>
    private string ServerCertificate()
    {
        var output = new StringWriter();
        Assert.Equal(0, TunnelCommand.CertgenServer(new FileInfo(_directory.File("server")), ["localhost", "127.0.0.1"], force: false, output));
        return PinLine().Match(output.ToString()).Groups[1].Value;
    }

    /// <summary><c>certgen -o DIR/NAME</c>; its fingerprint and the allow-file line it printed.</summary>
    private (string Fingerprint, string AllowLine) ClientCertificate(string name)
    {
        var output = new StringWriter();
        Assert.Equal(0, TunnelCommand.Certgen(new FileInfo(_directory.File(name)), null, force: false, output));
        var line = output.ToString().TrimEnd().Split('\n')[^1];
        return (line[..64], line);
    }

    private static void AssertContains(string expected, string output) => Assert.True(output.Contains(expected, StringComparison.Ordinal), output);

    /// <summary>A server on the key in DIR/server.key; DIR/mine.key is another key.</summary>
    private ChildProcess ServeAnotherKey(out int port)
    {
        TunnelCommand.Keygen(new FileInfo(_directory.File("server.key")), TextWriter.Null);
        TunnelCommand.Keygen(new FileInfo(_directory.File("mine.key")), TextWriter.Null);
        var serve = Serve("--key-file", _directory.File("server.key"));
        try
        {
            port = WaitForNumber(serve, ListeningOn());
            return serve;
        }
        catch
        {
            serve.Dispose();
            throw;
        }
    }

    private ChildProcess Serve(params string[] flags) =>
        _relay.StartRelay(["tunnel", "serve", "127.0.0.1", "--listen", "127.0.0.1:0", .. flags]);

    private ChildProcess Connect(int port, params string[] flags) =>
        _relay.StartRelay(["tunnel", "connect", $"127.0.0.1:{port}", "--scp-port", "0", "--boot-port", "0", .. flags]);

    /// <summary>Waits (bounded) for <paramref name="child"/> to exit with <paramref name="expected"/>; returns its output.</summary>
    private static string WaitForExit(ChildProcess child, ExitCode expected)
    {
        var code = child.WaitForExit(Loopback.Limit);
        Assert.True(code == (int)expected, $"exit code {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none yet"}: {child.RecentOutput()}");
        Assert.True(Loopback.WaitUntil(() => child.RecentOutput().Contains("relay: refused", StringComparison.Ordinal)), child.RecentOutput()); // read asynchronously
        return child.RecentOutput();
    }

    private static int Connections(ChildProcess connect) => Count(connect, "tunnel: connected to");

    /// <summary>Attempts that reached no server: the TCP connection closed before the tunnel's handshake answered.</summary>
    private static int AttemptsFailed(ChildProcess connect) => Count(connect, "handshake failed") + Count(connect, "connect failed");

    private static int Count(ChildProcess child, string text) => Regex.Count(child.RecentOutput(), Regex.Escape(text));
}
