using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>The line <c>relay tunnel connect</c> exits with on a refusal names what to check, and fits the error line.</summary>
public class TunnelRefusalLineTests
{
    private const string Fingerprint = "3f9a1c0b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";

    private static readonly string LongDirectory = "/home/a-user-with-a-long-name/projects/spinnaker-experiments/credentials";

    [Fact]
    public void A_certificate_not_on_the_list_gives_the_line_to_add_to_the_allow_file()
    {
        var line = new TunnelRefusalLine("gateway.example.org:17896", null, new FileInfo($"{LongDirectory}/alice.crt"), Fingerprint, Fingerprint)
            .Describe(new TunnelRefusal(TunnelCloseReason.AuthMethodNotAllowed,
                $"peer sent ERROR AuthMethodNotAllowed: \"client certificate {Fingerprint} is not on the server's list\""));

        Assert.EndsWith($"; ask its admin to add the line '{Fingerprint}  NAME' to its allow file (serve --tls-client-allow) and reload it (SIGHUP)", line, StringComparison.Ordinal);
        Assert.Equal(line, RelayCommandLine.ErrorLine(line)); // printed whole
    }

    [Fact]
    public void A_server_that_takes_certificates_only_says_how_to_get_one()
    {
        var line = new TunnelRefusalLine("gw:17896", new FileInfo("/keys/lab.key"), null, null, null)
            .Describe(new TunnelRefusal(TunnelCloseReason.AuthMethodNotAllowed, "the pre-shared key is not accepted here, only client certificates"));

        Assert.Equal("refused: the tunnel server gw:17896 does not take the key in /keys/lab.key: the pre-shared key is not accepted here, only client " +
            "certificates; connect with a client certificate it lets in instead (--tls-client-cert and --tls-client-key; `relay tunnel certgen` makes one)", line);
    }

    [Theory]
    [InlineData(true, "check --tls-pin against the fingerprint `relay tunnel serve` logs at start")]
    [InlineData(false, "check the host name in gw:17896, or pin the server's certificate with --tls-pin FINGERPRINT")]
    public void A_refused_server_certificate_points_at_the_pin_or_the_host_name(bool pinned, string advice)
    {
        var line = new TunnelRefusalLine("gw:17896", new FileInfo("/keys/lab.key"), null, null, pinned ? Fingerprint : null)
            .Describe(new TunnelRefusal(TunnelCloseReason.ServerCertificateRejected, "the server gw:17896 presented ..."));

        Assert.StartsWith("refused the tunnel server: the server gw:17896 presented ...; ", line, StringComparison.Ordinal);
        Assert.Contains(advice, line, StringComparison.Ordinal);
    }

    [Fact]
    public void No_common_version_says_to_upgrade()
    {
        var line = new TunnelRefusalLine("gw:17896", new FileInfo("/keys/lab.key"), null, null, null)
            .Describe(new TunnelRefusal(TunnelCloseReason.UnsupportedVersion, "server chose version 2, not offered"));

        Assert.StartsWith("refused: the tunnel server gw:17896 and relay ", line, StringComparison.Ordinal);
        Assert.EndsWith("share no protocol version: server chose version 2, not offered; upgrade relay at one end", line, StringComparison.Ordinal);
    }
}
