using System.Net;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Internal;
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

    [Theory]
    [InlineData("--http-proxy", false, "; give the proxy a user name and password in --http-proxy http://USER:PASSWORD@HOST:PORT (with @ and : in them percent-encoded)")]
    [InlineData("--http-proxy", true, "; check the user name and password in --http-proxy http://USER:PASSWORD@HOST:PORT (with @ and : in them percent-encoded)")]
    [InlineData("https_proxy", false, "; give the proxy a user name and password in https_proxy (http://USER:PASSWORD@HOST:PORT, with @ and : in them percent-encoded)")]
    [InlineData("ALL_PROXY", true, "; check the user name and password in ALL_PROXY (http://USER:PASSWORD@HOST:PORT, with @ and : in them percent-encoded)")]
    public void Proxy_credentials_refused_point_at_where_the_proxy_came_from(string source, bool withCredentials, string advice)
    {
        var route = new HttpProxyRoute(new Uri("http://proxy.example.org:3128/"), withCredentials ? new NetworkCredential("alice", "secret") : null, source);
        const string detail = "the HTTP proxy proxy.example.org:3128 refused the credentials of user 'alice' for a tunnel to gw:17896: 407 Proxy Authentication Required";

        var line = new TunnelRefusalLine("gw:17896", new FileInfo("/keys/lab.key"), null, null, null, route)
            .Describe(new TunnelRefusal(TunnelCloseReason.ProxyAuthenticationFailed, detail));

        Assert.Equal($"refused: {detail}{advice}", line);
        Assert.DoesNotContain("secret", line, StringComparison.Ordinal);
        Assert.Equal(line, RelayCommandLine.ErrorLine(line)); // printed whole
    }
}
