using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// The command line of per-user certificates: <c>serve --tls-client-allow</c> and <c>connect --tls-client-cert/--tls-client-key</c>,
/// with the key file optional where a certificate takes its place; each rule is a usage error naming the flags, and
/// each file that cannot be used is named.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TunnelClientCertificateFlagsTests : IDisposable
{
    private const string Fingerprint = "3f9a1c0b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";

    private readonly string _directory = Directory.CreateTempSubdirectory("relay-client-certs-").FullName;

    [Theory]
    [InlineData("", "say how clients prove themselves: --key-file FILE (a pre-shared key), --tls-client-allow FINGERPRINT|FILE (client certificates, with TLS), or both")]
    [InlineData("--tls-client-allow " + Fingerprint, "--tls-client-allow needs TLS: add --tls-cert and --tls-key, or --tls-self-signed")]
    [InlineData("-k k --tls-client-allow clients", "--tls-client-allow needs TLS: add --tls-cert and --tls-key, or --tls-self-signed")]
    [InlineData("--tls-self-signed --tls-client-allow 3f9a", "'3f9a' is not a SHA-256 fingerprint (64 hex digits, colons allowed) for --tls-client-allow")]
    [InlineData("--tls-self-signed --tls-client-allow", "Required argument missing for option: '--tls-client-allow'")]
    public void Serve_refuses_flags_that_let_no_one_in_or_certificates_without_TLS(string flags, string error)
    {
        var parse = Serve(flags);

        Assert.Contains(parse.Errors, e => e.Message.Contains(error, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("-k k")]
    [InlineData("--tls-self-signed --tls-client-allow " + Fingerprint)]
    [InlineData("--tls-cert c.pem --tls-key k.pem --tls-client-allow clients --tls-client-allow " + Fingerprint)]
    [InlineData("--tls-self-signed --tls-client-allow 3F:9A:1C:0B:2D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8")]
    [InlineData("-k k --tls-self-signed --tls-client-allow /etc/relay/clients")] // both: a client may prove either
    public void Serve_takes_a_key_certificates_or_both(string flags) => Assert.Empty(Serve(flags).Errors);

    [Theory]
    [InlineData("", "say how to prove yourself to the server: --key-file FILE (its pre-shared key), or --tls-client-cert FILE and --tls-client-key FILE")]
    [InlineData("--tls-client-cert me.crt", "--tls-client-cert and --tls-client-key go together")]
    [InlineData("-k k --tls-client-key me.key", "--tls-client-cert and --tls-client-key go together")]
    [InlineData("-k k --tls-client-cert me.crt --tls-client-key me.key", "--key-file and --tls-client-cert exclude each other")]
    public void Connect_needs_the_key_or_a_whole_client_certificate_not_both(string flags, string error)
    {
        var parse = Connect(flags);

        Assert.Single(parse.Errors);
        Assert.Contains(error, parse.Errors[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3f9a")]
    [InlineData("sha256:" + Fingerprint)]
    [InlineData(Fingerprint + "00")]
    public void Connect_refuses_a_pin_that_is_not_a_fingerprint_as_allow_lists_do(string pin)
    {
        var parse = Connect($"-k k --tls-pin {pin}");

        Assert.Equal($"'{pin}' is not a SHA-256 fingerprint (64 hex digits, colons allowed) for --tls-pin", Assert.Single(parse.Errors).Message);
    }

    [Theory]
    [InlineData("-k k")]
    [InlineData("-k k --tls-pin 3F:9A:1C:0B:2D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8")]
    [InlineData("--tls-client-cert me.crt --tls-client-key me.key")]
    [InlineData("--tls-client-cert me.crt --tls-client-key me.key --tls-pin " + Fingerprint)]
    public void Connect_takes_the_key_or_a_client_certificate(string flags) => Assert.Empty(Connect(flags).Errors);

    [Fact]
    public void The_help_says_what_each_new_flag_does()
    {
        var serve = TunnelWireCommands.CreateServe();
        var connect = TunnelWireCommands.CreateConnect();

        Assert.Contains("Needs TLS", Description(serve, "--tls-client-allow"), StringComparison.Ordinal);
        Assert.Contains("--key-file is optional", Description(serve, "--tls-client-allow"), StringComparison.Ordinal);
        Assert.Contains("Implies --tls", Description(connect, "--tls-client-cert"), StringComparison.Ordinal);
        Assert.Contains("Optional when client certificates are used", Description(connect, "--key-file"), StringComparison.Ordinal);
        Assert.False(serve.Options.Single(o => o.Name == "--key-file").Required);
        // Read again on SIGHUP, not only at start: the help must not say a restart is needed to revoke a line.
        Assert.Contains("at each SIGHUP (systemctl reload): a line deleted there ends that client's sessions at once", Description(serve, "--tls-client-allow"), StringComparison.Ordinal);
        Assert.DoesNotContain("restart", Description(serve, "--tls-client-allow"), StringComparison.Ordinal);
        Assert.Contains("SIGHUP (systemctl reload) reads --key-file, the --tls-client-allow files and --tls-cert/--tls-key again", serve.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Allow_values_are_fingerprints_or_files_and_a_bad_line_names_its_file_and_number()
    {
        var clients = Write("clients", $"# users\n{Fingerprint}  alice\n");
        var bad = Write("bad", "# users\n\n3f9a  alice\n");

        var list = TunnelClientCertificateFlags.LoadAllowList([clients, new string('b', 64)]);
        var e = Assert.Throws<RelayToolException>(() => TunnelClientCertificateFlags.LoadAllowList([bad]));

        Assert.Equal([Fingerprint, new string('b', 64)], list.Entries.Select(c => c.Fingerprint));
        Assert.Equal([clients, "--tls-client-allow"], list.Sources);
        Assert.Equal(ExitCode.Usage, e.Code);
        Assert.StartsWith($"{bad} line 3: '3f9a' is not a SHA-256 fingerprint", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_allow_file_that_cannot_be_read_is_named()
    {
        var missing = Path.Combine(_directory, "missing");

        var absent = Assert.Throws<RelayToolException>(() => TunnelClientCertificateFlags.LoadAllowList([missing]));
        var directory = Assert.Throws<RelayToolException>(() => TunnelClientCertificateFlags.LoadAllowList([_directory]));

        Assert.StartsWith($"cannot read the allow file (--tls-client-allow) {missing}: ", absent.Message, StringComparison.Ordinal);
        Assert.StartsWith($"cannot read the allow file (--tls-client-allow) {_directory}: ", directory.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_larger_than_any_allow_file_is_refused_unread()
    {
        var huge = Path.Combine(_directory, "huge");
        using (var stream = File.Create(huge))
        {
            stream.SetLength(CredentialFiles.MaxBytes + 1);
        }

        var e = Assert.Throws<RelayToolException>(() => TunnelClientCertificateFlags.LoadAllowList([huge]));

        Assert.Equal($"cannot read the allow file (--tls-client-allow) {huge}: it holds more than {CredentialFiles.MaxBytes} bytes", e.Message);
    }

    [Fact]
    public void The_start_line_says_how_many_certificates_get_in_from_where_and_whether_the_key_does()
    {
        var list = TunnelClientCertificateFlags.LoadAllowList([Fingerprint]);
        var none = TunnelClientCertificateFlags.LoadAllowList([Write("empty", "# no one yet\n")]);

        Assert.Equal("client certificates: 1 let in (--tls-client-allow); no pre-shared key: a certificate is the only way in",
            TunnelWireCommands.ClientCertificatesLine(list, withKey: false));
        Assert.Equal("client certificates: 1 let in (--tls-client-allow); clients may prove the pre-shared key instead",
            TunnelWireCommands.ClientCertificatesLine(list, withKey: true));
        Assert.Equal($"client certificates: none listed ({Path.Combine(_directory, "empty")}), so clients prove the pre-shared key",
            TunnelWireCommands.ClientCertificatesLine(none, withKey: true));
    }

    [Fact]
    public async Task Serve_with_no_key_and_an_allow_file_that_lists_no_one_exits_2_before_binding()
    {
        var empty = Write("empty", "# no one yet\n");

        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr(
            "tunnel", "serve", "127.0.0.1", "--listen", "127.0.0.1:0", "--tls-self-signed", "--tls-client-allow", empty);

        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains(lines, l => l.EndsWith("no client could get in: no --key-file, and --tls-client-allow lists no certificate", StringComparison.Ordinal));
    }

    [Fact]
    public void A_client_certificate_loads_from_PEM_and_each_unusable_file_is_named()
    {
        using var certificate = TunnelCertificates.CreateSelfSigned("alice");
        using ECDsa privateKey = certificate.GetECDsaPrivateKey()!;
        using ECDsa otherPrivateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cert = new FileInfo(Write("alice.crt", certificate.ExportCertificatePem()));
        var key = new FileInfo(Write("alice.key", privateKey.ExportPkcs8PrivateKeyPem()));
        var otherKey = new FileInfo(Write("other.key", otherPrivateKey.ExportPkcs8PrivateKeyPem()));
        var missing = new FileInfo(Path.Combine(_directory, "missing.crt"));
        var garbage = new FileInfo(Write("garbage.crt", "not a certificate"));

        using var loaded = TunnelClientCertificateFlags.LoadPem(cert, key, "TLS client certificate");
        Assert.Equal(TunnelCertificates.Fingerprint(certificate), TunnelCertificates.Fingerprint(loaded));
        Assert.True(loaded.HasPrivateKey);

        Assert.StartsWith($"cannot read the TLS client certificate {missing.FullName}: ", Refused(missing, key), StringComparison.Ordinal);
        Assert.StartsWith($"cannot read the private key of the TLS client certificate {missing.FullName}: ", Refused(cert, missing), StringComparison.Ordinal);
        Assert.StartsWith($"cannot load the TLS client certificate {garbage.FullName} with key {key.FullName}: ", Refused(garbage, key), StringComparison.Ordinal);
        Assert.StartsWith($"cannot load the TLS client certificate {cert.FullName} with key {otherKey.FullName}: ", Refused(cert, otherKey), StringComparison.Ordinal);

        static string Refused(FileInfo cert, FileInfo key)
        {
            var e = Assert.Throws<RelayToolException>(() => TunnelClientCertificateFlags.LoadPem(cert, key, "TLS client certificate"));
            Assert.Equal(ExitCode.Usage, e.Code);
            return e.Message;
        }
    }

    [Fact]
    public async Task Connect_with_a_client_certificate_it_cannot_read_exits_2_naming_it()
    {
        var missing = Path.Combine(_directory, "me.crt");

        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr(
            "tunnel", "connect", "127.0.0.1:1", "--tls-client-cert", missing, "--tls-client-key", missing, "--scp-port", "0", "--boot-port", "0");

        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains(lines, l => l.Contains($"cannot read the TLS client certificate {missing}: ", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ParseResult Serve(string flags) =>
        RelayCommandLine.Build().Parse(["tunnel", "serve", "board", .. flags.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);

    private static ParseResult Connect(string flags) =>
        RelayCommandLine.Build().Parse(["tunnel", "connect", "gw", .. flags.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);

    private static string Description(Command command, string option) => command.Options.Single(o => o.Name == option).Description!;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}
