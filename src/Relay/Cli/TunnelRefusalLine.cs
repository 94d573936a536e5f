using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// The line <c>relay tunnel connect</c> exits with (<see cref="ExitCode.Refused"/>) when a refusal that retrying cannot fix
/// stops it: what was refused, by whom, and what to check, naming the key file, the client certificate, the pin, or where
/// the HTTP proxy and its credentials came from (<paramref name="Proxy"/>).
/// </summary>
internal sealed record TunnelRefusalLine(
    string Server, FileInfo? KeyFile, FileInfo? CertificateFile, string? CertificateFingerprint, string? Pin, HttpProxyRoute? Proxy = null)
{
    /// <summary>The one line for <paramref name="refusal"/>.</summary>
    public string Describe(TunnelRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        string detail = refusal.Detail;
        return refusal.Reason switch
        {
            TunnelCloseReason.AuthenticationFailed =>
                $"refused: the tunnel server {Server} and this client do not hold the same key ({detail}); check that {KeyFile?.FullName ?? "--key-file"} " +
                "is a copy of the key file the server's `relay tunnel serve --key-file` reads",
            TunnelCloseReason.AuthMethodNotAllowed when CertificateFile is not null =>
                $"refused: the tunnel server {Server} does not let in the client certificate {CertificateFile.FullName} ({detail}); ask its admin " +
                $"to add the line '{CertificateFingerprint}  NAME' to its allow file (serve --tls-client-allow) and reload it (SIGHUP)",
            TunnelCloseReason.AuthMethodNotAllowed =>
                $"refused: the tunnel server {Server} does not take the key in {KeyFile?.FullName ?? "--key-file"}: {detail}; connect with a client " +
                "certificate it lets in instead (--tls-client-cert and --tls-client-key; `relay tunnel certgen` makes one)",
            TunnelCloseReason.UnsupportedVersion =>
                $"refused: the tunnel server {Server} and relay {RelayCommandLine.Version} share no protocol version: {detail}; upgrade relay at one end",
            TunnelCloseReason.ServerCertificateRejected when Pin is not null =>
                $"refused the tunnel server: {detail}; check --tls-pin against the fingerprint `relay tunnel serve` logs at start (with " +
                "--tls-self-signed it changes at every restart: `relay tunnel certgen --server` makes a certificate whose pin lasts)",
            TunnelCloseReason.ServerCertificateRejected =>
                $"refused the tunnel server: {detail}; check the host name in {Server}, or pin the server's certificate with --tls-pin FINGERPRINT",
            TunnelCloseReason.ProxyAuthenticationFailed when Proxy?.Credentials is null =>
                $"refused: {detail}; give the proxy a user name and password {ProxyUrlPlace}",
            TunnelCloseReason.ProxyAuthenticationFailed =>
                $"refused: {detail}; check the user name and password {ProxyUrlPlace}",
            _ => $"refused by the tunnel server {Server}: {refusal.Reason} ({detail})",
        };
    }

    /// <summary>Where the proxy's credentials go: the option's URL, or the variable the proxy came from.</summary>
    private string ProxyUrlPlace => Proxy?.Reason is { } source && source != HttpProxyChoice.OptionName
        ? $"in {source} (http://USER:PASSWORD@HOST:PORT, with @ and : in them percent-encoded)"
        : $"in {HttpProxyChoice.OptionName} http://USER:PASSWORD@HOST:PORT (with @ and : in them percent-encoded)";
}
