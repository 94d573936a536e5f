using System.Net;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tests.Cli;

public class TunnelCommandTests
{
    [Theory]
    [InlineData("gateway-1", "gateway-1")]
    [InlineData("gateway.example.org", "gateway.example.org")]
    [InlineData("box/1", "localhost")]
    [InlineData("box:1", "localhost")]
    [InlineData("bad name", "localhost")]
    [InlineData("-dash", "localhost")]
    [InlineData("", "localhost")]
    [InlineData(null, "localhost")]
    public void A_machine_name_that_is_no_dns_name_gives_localhost_for_certgen_server_and_tls_self_signed(string? machineName, string expected) =>
        Assert.Equal(expected, TunnelCommand.DefaultHostName(machineName));

    [Fact]
    public void Keygen_prints_a_key_the_tunnel_accepts()
    {
        var output = new StringWriter();

        Assert.Equal((int)ExitCode.Ok, TunnelCommand.Keygen(null, output));

        Assert.True(TunnelKey.TryParse(output.ToString(), out _), output.ToString());
    }

    [Fact]
    public void Keygen_writes_an_owner_only_file_and_never_overwrites_one()
    {
        string path = Path.Combine(Path.GetTempPath(), $"relay-key-{Guid.NewGuid():N}");
        try
        {
            Assert.Equal((int)ExitCode.Ok, TunnelCommand.Keygen(new FileInfo(path), TextWriter.Null));
            Assert.True(TunnelKey.TryParse(File.ReadAllText(path), out _));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            string before = File.ReadAllText(path);
            // Since main's 7a288c1 a refused write is a RelayToolException (one line + its exit code), not a return value.
            var refused = Assert.Throws<RelayToolException>(() => TunnelCommand.Keygen(new FileInfo(path), TextWriter.Null));
            Assert.Equal(ExitCode.Usage, refused.Code);
            Assert.Equal(before, File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Certgen_writes_a_certificate_and_an_owner_only_key_and_prints_the_line_that_lets_it_in()
    {
        using var directory = new ScratchDirectory("relay-certgen-");
        var prefix = new FileInfo(directory.File("alice"));
        var output = new StringWriter();

        Assert.Equal((int)ExitCode.Ok, TunnelCommand.Certgen(prefix, name: null, force: false, output));

        using var certificate = TunnelClientCertificateFlags.LoadPem(new FileInfo(prefix.FullName + ".crt"), new FileInfo(prefix.FullName + ".key"), "TLS client certificate");
        Assert.Equal("CN=alice", certificate.Subject);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix.FullName + ".key"));
        }

        // The last line is the allow-file line: the fingerprint and the name, as serve reads them.
        var lastLine = output.ToString().TrimEnd().Split('\n')[^1];
        Assert.Equal($"{TunnelCertificates.Fingerprint(certificate)}  alice", lastLine);
        var allowed = new ClientCertificateAllowList();
        allowed.AddFile(lastLine, "allow");
        Assert.Equal(new AllowedClientCertificate(TunnelCertificates.Fingerprint(certificate), "alice", "allow line 1"), Assert.Single(allowed.Entries));
    }

    [Fact]
    public void Certgen_replaces_nothing_without_force_and_with_it_leaves_the_key_owner_only()
    {
        using var directory = new ScratchDirectory("relay-certgen-");
        var prefix = new FileInfo(directory.File("bob"));
        File.WriteAllText(prefix.FullName + ".key", "an older key");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(prefix.FullName + ".key", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        var refused = Assert.Throws<RelayToolException>(() => TunnelCommand.Certgen(prefix, name: null, force: false, TextWriter.Null));
        Assert.Equal(ExitCode.Usage, refused.Code);
        Assert.Equal($"{prefix.FullName}.key exists; choose another --out, or add --force to replace it", refused.Message);
        Assert.Equal("an older key", File.ReadAllText(prefix.FullName + ".key"));
        Assert.False(File.Exists(prefix.FullName + ".crt"));

        Assert.Equal((int)ExitCode.Ok, TunnelCommand.Certgen(prefix, name: "bob.smith", force: true, TextWriter.Null));
        using var certificate = TunnelClientCertificateFlags.LoadPem(new FileInfo(prefix.FullName + ".crt"), new FileInfo(prefix.FullName + ".key"), "TLS client certificate");
        Assert.Equal("CN=bob.smith", certificate.Subject);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix.FullName + ".key"));
        }
    }

    [Theory]
    [InlineData("bad name")]
    [InlineData("alice,O=Evil")]
    [InlineData("")]
    [InlineData("a123456789b123456789c123456789d123456789e123456789f123456789g12345")]
    public void Certgen_refuses_a_name_that_cannot_name_a_certificate(string name)
    {
        using var directory = new ScratchDirectory("relay-certgen-");
        var prefix = new FileInfo(directory.File("user"));

        var e = Assert.Throws<RelayToolException>(() => TunnelCommand.Certgen(prefix, name, force: false, TextWriter.Null));

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.EndsWith("cannot name a certificate: give --name with 1-64 letters, digits, '.', '_' or '-'", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(directory.Path));
    }

    [Fact]
    public void Certgen_server_writes_a_server_certificate_for_its_names_and_prints_the_pin()
    {
        using var directory = new ScratchDirectory("relay-certgen-");
        var prefix = new FileInfo(directory.File("gateway"));
        var output = new StringWriter();

        Assert.Equal((int)ExitCode.Ok, TunnelCommand.CertgenServer(prefix, ["gateway.example.org", "192.0.2.7", "2001:db8::7"], force: false, output));

        using var certificate = TunnelClientCertificateFlags.LoadPem(new FileInfo(prefix.FullName + ".crt"), new FileInfo(prefix.FullName + ".key"), "TLS certificate");
        Assert.Equal("CN=gateway.example.org", certificate.Subject);
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["gateway.example.org"], names.EnumerateDnsNames());
        Assert.Equal([IPAddress.Parse("192.0.2.7"), IPAddress.Parse("2001:db8::7")], names.EnumerateIPAddresses());
        Assert.True(TunnelCertificates.AllowsUsage(certificate, TunnelCertificates.ServerAuthentication));
        Assert.False(TunnelCertificates.AllowsUsage(certificate, TunnelCertificates.ClientAuthentication));
        Assert.True(certificate.NotAfter > DateTime.Now.AddYears(5), certificate.NotAfter.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix.FullName + ".key"));
        }

        Assert.Equal($"--tls-pin {TunnelCertificates.Fingerprint(certificate)}", output.ToString().TrimEnd().Split('\n')[^1]);
    }

    [Fact]
    public void Certgen_server_replaces_nothing_without_force()
    {
        using var directory = new ScratchDirectory("relay-certgen-");
        var prefix = new FileInfo(directory.File("gateway"));
        Assert.Equal((int)ExitCode.Ok, TunnelCommand.CertgenServer(prefix, ["localhost"], force: false, TextWriter.Null));
        string before = File.ReadAllText(prefix.FullName + ".crt");

        var refused = Assert.Throws<RelayToolException>(() => TunnelCommand.CertgenServer(prefix, ["localhost"], force: false, TextWriter.Null));

        Assert.Equal(ExitCode.Usage, refused.Code);
        Assert.Equal($"{prefix.FullName}.crt exists; choose another --out, or add --force to replace it", refused.Message);
        Assert.Equal(before, File.ReadAllText(prefix.FullName + ".crt"));
        Assert.Equal((int)ExitCode.Ok, TunnelCommand.CertgenServer(prefix, ["localhost"], force: true, TextWriter.Null));
        Assert.NotEqual(before, File.ReadAllText(prefix.FullName + ".crt"));
    }

    [Theory]
    [InlineData("bad name")]
    [InlineData("gate/way")]
    [InlineData("")]
    [InlineData("-x")]
    public void Certgen_server_refuses_a_name_that_is_not_a_host(string name)
    {
        using var directory = new ScratchDirectory("relay-certgen-");

        var e = Assert.Throws<RelayToolException>(() => TunnelCommand.CertgenServer(new FileInfo(directory.File("gw")), ["localhost", name], force: false, TextWriter.Null));

        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.EndsWith("is not a host name or an address for --name (examples: gateway.example.org, 192.0.2.7, 2001:db8::7)", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(directory.Path));
    }

    [Fact]
    public void Certgen_takes_several_names_only_with_server()
    {
        var client = RelayCommandLine.Parse(["tunnel", "certgen", "-o", "x", "--name", "a", "--name", "b"]);
        var server = RelayCommandLine.Parse(["tunnel", "certgen", "--server", "-o", "x", "--name", "a", "--name", "b"]);

        Assert.Equal("a client certificate has one --name (several host names only with --server)", Assert.Single(client.Errors).Message);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task A_certgen_server_certificate_serves_tls_to_a_client_that_pins_it()
    {
        using var directory = new ScratchDirectory("relay-certgen-");
        var prefix = new FileInfo(directory.File("gateway"));
        TunnelCommand.CertgenServer(prefix, ["localhost", "127.0.0.1"], force: false, TextWriter.Null);
        using var certificate = TunnelClientCertificateFlags.LoadPem(new FileInfo(prefix.FullName + ".crt"), new FileInfo(prefix.FullName + ".key"), "TLS certificate");
        await using var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions { Certificate = certificate });
        var pinned = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port,
            new TunnelTlsClientOptions { TargetHost = "127.0.0.1", PinnedServerCertificate = TunnelCertificates.Fingerprint(certificate) });

        var accepted = listener.AcceptAsync(CancellationToken.None).AsTask();
        await using var connection = await pinned.ConnectAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await using var serverEnd = await accepted.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Null(serverEnd.PeerCertificate); // TLS is up; no client certificate was asked for
    }

    [Fact]
    public void Certgen_needs_out()
    {
        var parse = RelayCommandLine.Build().Parse(["tunnel", "certgen"]);

        Assert.Contains(parse.Errors, e => e.Message.Contains("--out", StringComparison.Ordinal));
    }

    [Fact]
    public void Info_reports_lz4_and_its_saving()
    {
        var output = new StringWriter();

        Assert.Equal((int)ExitCode.Ok, TunnelCommand.Info(output));

        Assert.Contains("FSRT version 1", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("liblz4: 1.", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("saved", output.ToString(), StringComparison.Ordinal);
    }
}

public class TunnelWireCommandTests
{
    [Theory]
    [InlineData("tunnel", "serve", "board")] // no --key-file
    [InlineData("tunnel", "serve", "board", "--key-file", "/nonexistent/lab.key")]
    [InlineData("tunnel", "serve", "board", "--key-file", "k", "--listen", "nowhere")]
    [InlineData("tunnel", "serve", "board", "--key-file", "k", "--allow", "10.0.0.0/99")]
    [InlineData("tunnel", "connect", "gateway:99999", "--key-file", "k")]
    [InlineData("tunnel", "connect", "gateway", "--key-file", "k", "--scp-port", "70000")]
    [InlineData("tunnel", "connect", "gateway", "--key-file", "k", "--live-output", "8=127.0.0.1:17895")]
    [InlineData("tunnel", "connect", "gateway", "--key-file", "k", "--max-flows", "0")]
    [InlineData("tunnel", "connect", "gateway", "--key-file", "k", "--live-input", "12345")]
    [InlineData("tunnel", "connect", "gateway", "--key-file", "k", "--live-input", "0=12345")]
    [InlineData("tunnel", "connect", "gateway", "--key-file", "k", "--scp-port", "abc")]
    [InlineData("tunnel", "serve", "board", "--key-file", "k", "--boot-port", "-1")]
    [InlineData("tunnel", "connect", "gateway", "--key-file", "k", "--flow-idle-timeout", "0")]
    [InlineData("tunnel", "connect", "gateway", "--key-file", "k", "--flow-idle-timeout", "soon")]
    [InlineData("tunnel", "connect", "gateway", "--key-file", "k", "--live-output", "1=127.0.0.1")]
    [InlineData("tunnel", "connect", "gateway", "--key-file", "k", "--live-output", "1=127.0.0.1:1", "--live-output", "1=127.0.0.1:2")]
    [InlineData("tunnel", "serve", "board", "--key-file", "k", "--max-sessions", "0")]
    [InlineData("tunnel", "serve", "board", "--key-file", "k", "--session-linger", "25h")]
    public async Task Bad_flags_exit_with_usage_code_2(params string[] args)
    {
        var error = Console.Error;
        Console.SetError(TextWriter.Null);
        try
        {
            Assert.Equal((int)ExitCode.Usage, await RelayCommandLine.InvokeAsync(args));
        }
        finally
        {
            Console.SetError(error);
        }
    }

    [Theory]
    [InlineData("--max-sessions 0", "'0' is not a whole number in 1..4096 for --max-sessions")]
    [InlineData("--max-sessions 4097", "'4097' is not a whole number in 1..4096 for --max-sessions")]
    [InlineData("--session-linger soon", "'soon' is not a duration for --session-linger")]
    [InlineData("--session-linger 25h", "--session-linger must be 0 to 24h")]
    public void The_session_limits_of_serve_are_checked_naming_the_flag(string flags, string expected)
    {
        var parse = RelayCommandLine.Build().Parse(["tunnel", "serve", "board", "--key-file", "k", .. flags.Split(' ')]);

        Assert.Contains(parse.Errors, e => e.Message.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Serve_accepts_session_limits_within_range()
    {
        var parse = RelayCommandLine.Build().Parse(["tunnel", "serve", "board", "--key-file", "k", "--max-sessions", "1", "--session-linger", "0"]);

        Assert.Empty(parse.Errors);
    }

    [Theory]
    [InlineData("gateway.example.org:17000", "gateway.example.org", 17000)]
    [InlineData("gateway", "gateway", 17896)]
    [InlineData("[::1]:17001", "::1", 17001)]
    [InlineData("10.0.0.2", "10.0.0.2", 17896)]
    public void Server_addresses_split_into_host_and_port(string text, string host, int port) =>
        Assert.Equal((host, port), TunnelWireCommands.SplitHostPort(text));

    [Theory]
    [InlineData("localhost", true)]
    [InlineData("LOCALHOST", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.3.2.1", true)]
    [InlineData("::1", true)]
    [InlineData("gateway.example.org", false)]
    [InlineData("10.0.0.2", false)]
    [InlineData("::", false)]
    public void Only_loopback_servers_go_without_the_no_TLS_warning(string host, bool loopback) =>
        Assert.Equal(loopback, TunnelWireCommands.IsLoopbackHost(host));

    [Fact]
    public void The_no_TLS_warning_says_what_is_exposed_and_how_to_fix_it()
    {
        var warning = TunnelWireCommands.PlainTunnelWarning("gw:17896", "--tls-pin (or --tls)");

        Assert.StartsWith("no TLS:", warning, StringComparison.Ordinal);
        Assert.Contains("neither encrypted nor integrity-protected", warning, StringComparison.Ordinal);
        Assert.Contains("inject commands for the board", warning, StringComparison.Ordinal);
        Assert.Contains("gw:17896", warning, StringComparison.Ordinal);
        Assert.EndsWith("add --tls-pin (or --tls)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Live_output_lists_each_tag_with_its_visualisers()
    {
        var parse = TunnelWireCommands.CreateConnect().Parse(["gw", "-k", "k", "--live-output", "1=127.0.0.1:17895,127.0.0.1:17896", "--live-output", "0=[::1]:9"]);

        Assert.Empty(parse.Errors);
        var routes = parse.GetValue<LiveOutputRoute[]>("--live-output")!;
        Assert.Equal([1, 0], routes.Select(r => r.Tag));
        Assert.Equal(["127.0.0.1:17895", "127.0.0.1:17896"], routes[0].Visualisers.Select(v => v.ToString()));
        Assert.Equal("[::1]:9", routes[1].Visualisers[0].ToString());
    }

    [Fact]
    public void Live_input_maps_local_ports_to_board_ports()
    {
        var parse = TunnelWireCommands.CreateConnect().Parse(["gw", "-k", "k", "--live-input", "12345=23456", "--live-input", "1=2"]);

        Assert.Empty(parse.Errors);
        Assert.Equal([new LiveInputRoute(12345, 23456), new LiveInputRoute(1, 2)], parse.GetValue<LiveInputRoute[]>("--live-input")!);
    }

    [Fact]
    public void A_file_that_is_not_a_key_is_one_usage_error()
    {
        string path = Path.Combine(Path.GetTempPath(), $"relay-notkey-{Guid.NewGuid():N}");
        File.WriteAllText(path, "hello");
        try
        {
            var e = Assert.Throws<RelayToolException>(() => TunnelWireCommands.ReadKey(new FileInfo(path)));
            Assert.Equal(ExitCode.Usage, e.Code);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public class TunnelCompressionOptionTests
{
    [Theory]
    [InlineData("serve")]
    [InlineData("connect")]
    public void No_compression_is_off_by_default_and_a_flag_on_both_ends(string verb)
    {
        var command = verb == "serve" ? TunnelWireCommands.CreateServe() : TunnelWireCommands.CreateConnect();

        var plain = command.Parse(["gw", "-k", "k"]);
        var off = command.Parse(["gw", "-k", "k", "--no-compression"]);

        Assert.Empty(plain.Errors);
        Assert.Empty(off.Errors);
        Assert.False(plain.GetValue<bool>("--no-compression"));
        Assert.True(off.GetValue<bool>("--no-compression"));
        Assert.Contains(command.Options, o => o.Name == "--no-compression" && o.Description!.Contains("LZ4", StringComparison.Ordinal));
    }
}
