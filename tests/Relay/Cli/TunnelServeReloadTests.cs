using System.Net;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// What <c>relay tunnel serve</c> does on SIGHUP, without the signal: its credential files read again with a start's
/// readers and checks. Files a start would refuse change nothing and each problem is logged in a start's words; good
/// ones are applied and one line says what changed.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TunnelServeReloadTests : IDisposable
{
    private const string Alice = "3f9a1c0b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
    private const string Bob = "8c2d000000000000000000000000000000000000000000000000000000000001";
    private const string Carol = "ca201000000000000000000000000000000000000000000000000000000000ff";

    private readonly string _directory = Directory.CreateTempSubdirectory("relay-tunnel-reload-").FullName;

    [Fact]
    public void Files_a_start_would_refuse_give_every_problem_as_a_start_words_it()
    {
        var key = Write("key", "");
        var bad = Write("clients", $"{Alice}  alice\nnonsense\n");
        var missing = Path.Combine(_directory, "absent");
        var cert = new FileInfo(Path.Combine(_directory, "tls.pem"));
        var files = new TunnelServeCredentialFiles(new FileInfo(key), [bad, missing], cert, new FileInfo(Path.Combine(_directory, "tls.key")), SelfSigned: null);

        Assert.False(files.TryRead(out var read, out var problems));

        Assert.Null(read);
        Assert.Equal(
            [
                Message(() => TunnelWireCommands.ReadKey(new FileInfo(key))),
                Message(() => TunnelClientCertificateFlags.LoadAllowList([bad])),
                Message(() => TunnelClientCertificateFlags.LoadAllowList([missing])),
                Message(() => TunnelClientCertificateFlags.LoadPem(cert, new FileInfo(Path.Combine(_directory, "tls.key")), "TLS certificate")),
            ],
            problems);
        Assert.StartsWith($"{bad} line 2: 'nonsense' is not a SHA-256 fingerprint", problems[1], StringComparison.Ordinal);
        Assert.Equal(problems[0], Assert.Throws<RelayToolException>(files.Read).Message); // a start stops at the first
    }

    [Fact]
    public void Files_that_let_no_one_in_are_refused_as_at_start()
    {
        var files = new TunnelServeCredentialFiles(null, [Write("clients", "# no one\n")], null, null, SelfSigned: null);

        Assert.False(files.TryRead(out _, out var problems));

        Assert.Equal(["no client could get in: no --key-file, and --tls-client-allow lists no certificate"], problems);
    }

    [Fact]
    public void The_reload_line_says_what_changed_and_which_sessions_ended()
    {
        var k1 = TunnelKey.Generate();
        var before = Credentials(k1, $"{Alice}  alice\n{Bob}  bob\n{Carol}\n");
        var now = Credentials(TunnelKey.Generate(), $"{Alice}  Alice Smith\n{Carol}\n7a{new string('0', 62)}  dave\n");
        var ended = new TunnelRevokedSessions(2, new Dictionary<string, int> { [Bob] = 1 });

        Assert.Equal(
            "client certificates added: dave; removed: bob (1 session ended); renamed: alice to Alice Smith; pre-shared key changed (2 sessions ended)",
            TunnelCredentialChanges.Between(before, now).Describe(ended));
        Assert.Equal("nothing changed", TunnelCredentialChanges.Between(before, Credentials(TunnelKey.FromBytes(k1.Bytes), $"{Alice} alice\n{Bob} bob\n{Carol}\n"))
            .Describe(new TunnelRevokedSessions(0, new Dictionary<string, int>())));
        using var certificate = TunnelCertificates.CreateSelfSigned("gateway");
        Assert.Equal($"TLS certificate changed: {TunnelCertificates.Fingerprint(certificate)} (for new connections)",
            TunnelCredentialChanges.Between(before, before with { Certificate = certificate }).Describe(new TunnelRevokedSessions(0, new Dictionary<string, int>())));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("empty")]
    [InlineData("zero")]
    [InlineData("bad line")]
    public async Task A_reload_a_start_would_refuse_changes_nothing_and_logs_each_problem(string what)
    {
        var keyFile = new FileInfo(Write("key", TunnelKey.Generate().Format() + "\n"));
        var clients = Write("clients", $"{Alice}  alice\n");
        var files = new TunnelServeCredentialFiles(keyFile, [clients], null, null, SelfSigned: null);
        var started = files.Read();
        await using var gateway = TunnelGateway.Start(new TunnelServeOptions
        {
            BoardScp = new IPEndPoint(IPAddress.Loopback, 9),
            BoardBoot = new IPEndPoint(IPAddress.Loopback, 9),
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Tunnel = new TunnelServerOptions { Key = started.Key, Log = new TestLog() },
        });
        var reload = new TunnelServeReload(gateway, files, started);
        var running = gateway.Server.Credentials;
        switch (what)
        {
            case "missing":
                File.Delete(clients);
                break;
            case "empty":
                File.WriteAllText(keyFile.FullName, "");
                break;
            case "zero":
                File.Delete(keyFile.FullName);
                File.CreateSymbolicLink(keyFile.FullName, "/dev/zero");
                break;
            default:
                File.AppendAllText(clients, "3f9a  bob\n");
                break;
        }

        var (applied, written) = await WithLogAsync(reload.ReloadAsync);

        Assert.False(applied);
        Assert.Same(running, gateway.Server.Credentials);
        Assert.Same(started, reload.Current);
        Assert.Equal("reloads: 0 applied, 1 refused", reload.Counters.ToString());
        var line = Assert.Single(written.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("error tunnel-serve: reload refused, still serving the credentials read before: ", line, StringComparison.Ordinal);
        Assert.Contains(what is "missing" or "bad line" ? clients : keyFile.FullName, line, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private TunnelServeCredentials Credentials(TunnelKey key, string allowFile)
    {
        var list = new ClientCertificateAllowList();
        list.AddFile(allowFile, Path.Combine(_directory, "clients"));
        return new TunnelServeCredentials(key, list, null);
    }

    private static string Message(Action start) => Assert.Throws<RelayToolException>(start).Message;

    /// <summary>Runs <paramref name="action"/> with the log written to a string (the Console collection runs alone).</summary>
    private static async Task<(T Result, string Written)> WithLogAsync<T>(Func<Task<T>> action)
    {
        var original = Log.Output;
        var text = new StringWriter();
        Log.Output = TextWriter.Synchronized(text);
        try
        {
            var result = await action();
            Log.Output.Flush();
            return (result, text.ToString());
        }
        finally
        {
            Log.Output = original;
        }
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}
