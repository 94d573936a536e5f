using System.Net;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Relay.Tests.Tunneling;
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
    public async Task A_reload_that_removes_the_last_certificate_of_a_server_without_a_key_is_applied_and_warns()
    {
        // Deleting the last user's line is that user's revocation: it must not be refused for leaving nobody in.
        using var certificate = TunnelCertificates.CreateSelfSigned("gateway");
        var clients = Write("clients", $"{Alice}  alice\n");
        var files = new TunnelServeCredentialFiles(null, [clients], null, null, SelfSigned: certificate);
        var started = files.Read();
        await using var gateway = TunnelGateway.Start(new TunnelServeOptions
        {
            BoardScp = new IPEndPoint(IPAddress.Loopback, 9),
            BoardBoot = new IPEndPoint(IPAddress.Loopback, 9),
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Tls = started.Tls(),
            Tunnel = new TunnelServerOptions { Key = null, AllowClientCertificates = true, Log = new TestLog() },
        });
        var reload = new TunnelServeReload(gateway, files, started);
        File.WriteAllText(clients, "# alice left\n");

        var (applied, written) = await WithLogAsync(() => reload.ReloadAsync());

        Assert.True(applied, written);
        Assert.Equal("reloads: 1 applied, 0 refused", reload.Counters.ToString());
        Assert.Null(gateway.Server.Credentials.Key);
        Assert.False(gateway.Server.Credentials.AllowClientCertificates);
        Assert.Contains("client certificates removed: alice", written, StringComparison.Ordinal);
        Assert.Contains(Lines(written), l => Line(l) == "warn tunnel-serve: no client can get in now: there is no key, and the allow file lists no certificate; every session has " +
            "ended, and every connection is refused until a reload finds a line (or the key) again");
        Assert.False(files.TryRead(out _, out _), "a start with these files is still refused");
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
        await using var gateway = StartGateway(started, new IPEndPoint(IPAddress.Loopback, 9), new IPEndPoint(IPAddress.Loopback, 9));
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

        var (applied, written) = await WithLogAsync(() => reload.ReloadAsync());

        Assert.False(applied);
        Assert.Same(running, gateway.Server.Credentials);
        Assert.Same(started, reload.Current);
        Assert.Equal("reloads: 0 applied, 1 refused", reload.Counters.ToString());
        var line = Assert.Single(written.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("error tunnel-serve: reload refused, still serving the credentials read before: ", line, StringComparison.Ordinal);
        Assert.Contains(what is "missing" or "bad line" ? clients : keyFile.FullName, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reload_follows_the_board_to_its_new_address_and_keeps_it_when_the_name_stops_resolving()
    {
        var (v4, v6) = Loopback.TwinBoards();
        using var old = v4;
        using var moved = v6;
        var board = new HostName("spinn-4", "board", Loopback.Resolver([IPAddress.IPv6Loopback], null));
        var files = new TunnelServeCredentialFiles(new FileInfo(Write("key", TunnelKey.Generate().Format() + "\n")), [], null, null, SelfSigned: null);
        var started = files.Read();
        await using var gateway = StartGateway(started, old.ScpEndPoint, old.BootEndPoint);
        await using var portal = Connect(gateway, started.Key!);
        using var early = new ScpClient(portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        early.Write(0x6000_0000u, "early"u8);
        var reload = new TunnelServeReload(gateway, files, started, board);

        var (applied, written) = await WithLogAsync(() => reload.ReloadAsync());

        Assert.True(applied, written);
        Assert.Equal(
            "info tunnel-serve: reloaded: board spinn-4 now ::1 (was 127.0.0.1): new channels go there, 1 open channel keeps the old " +
            "address until it closes (its socket cannot reach the new one)",
            Line(Assert.Single(Lines(written))));
        using (var late = new ScpClient(portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) })
        {
            late.Write(0x6000_0000u, "later"u8);
        }

        Assert.Equal("later", TunnelBoardMoveTests.ReadText(moved, 5));
        early.Write(0x6000_0000u, "again"u8);
        Assert.Equal("again", TunnelBoardMoveTests.ReadText(old, 5));

        // The name no longer resolves: the board stays where it was last found, and the error names the name and the reason.
        (applied, written) = await WithLogAsync(() => reload.ReloadAsync());

        Assert.False(applied);
        Assert.Equal(
            $"error tunnel-serve: reload refused for the board, still sending to ::1: cannot resolve the board 'spinn-4': {Loopback.NotFound.Message}",
            Line(Assert.Single(Lines(written))));
        Assert.Equal("reloads: 1 applied, 1 refused", reload.Counters.ToString());
        Assert.Equal(IPAddress.IPv6Loopback, gateway.BoardScp.Address);
        using (var last = new ScpClient(portal.ScpEndPoint) { Timeout = TimeSpan.FromSeconds(2) })
        {
            last.Write(0x6000_0000u, "final"u8);
        }

        Assert.Equal("final", TunnelBoardMoveTests.ReadText(moved, 5));
    }

    [Fact]
    public async Task A_board_given_as_an_address_or_still_at_it_is_named_only_when_it_was_looked_up()
    {
        var files = new TunnelServeCredentialFiles(new FileInfo(Write("key", TunnelKey.Generate().Format() + "\n")), [], null, null, SelfSigned: null);
        var started = files.Read();
        await using var gateway = StartGateway(started, new IPEndPoint(IPAddress.Loopback, 9), new IPEndPoint(IPAddress.Loopback, 9));
        var unresolvable = Loopback.Resolver([null]);

        var (literal, byAddress) = await WithLogAsync(() => new TunnelServeReload(gateway, files, started, new HostName("127.0.0.1", "board", unresolvable)).ReloadAsync());
        var (same, byName) = await WithLogAsync(() =>
            new TunnelServeReload(gateway, files, started, new HostName("spinn-4", "board", Loopback.Resolver([IPAddress.Loopback]))).ReloadAsync());

        Assert.True(literal);
        Assert.Equal("info tunnel-serve: reloaded: nothing changed", Line(Assert.Single(Lines(byAddress))));
        Assert.True(same);
        Assert.Equal("info tunnel-serve: reloaded: board spinn-4 still 127.0.0.1", Line(Assert.Single(Lines(byName))));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string[] Lines(string written) => written.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A log line without its timestamp, single-spaced: "info tunnel-serve: ...".</summary>
    private static string Line(string line) => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]);

    /// <summary>A tunnel server on 127.0.0.1 port 0 with the key of <paramref name="started"/>, for the board at <paramref name="scp"/> and <paramref name="boot"/>.</summary>
    private static TunnelGateway StartGateway(TunnelServeCredentials started, IPEndPoint scp, IPEndPoint boot) =>
        TunnelGateway.Start(new TunnelServeOptions
        {
            BoardScp = scp,
            BoardBoot = boot,
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Tunnel = new TunnelServerOptions { Key = started.Key, Log = new TestLog() },
        });

    /// <summary>A <c>relay tunnel connect</c> in this process, proving <paramref name="key"/>.</summary>
    private static TunnelPortal Connect(TunnelGateway gateway, TunnelKey key) =>
        TunnelPortal.Start(new TunnelConnectOptions
        {
            Connector = new TcpTunnelConnector("127.0.0.1", gateway.ListenEndPoint.Port, null),
            ServerLabel = gateway.ListenEndPoint.ToString(),
            ScpPort = 0,
            BootPort = 0,
            Tunnel = new TunnelClientOptions { Key = key, Log = new TestLog() },
        });

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
