using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tunneling;

/// <summary>
/// What <c>relay tunnel serve</c> lets clients in with, as read from its files at start or at a reload: the pre-shared
/// key, the client certificates, and its own TLS certificate.
/// </summary>
/// <param name="Key">The pre-shared key (<c>--key-file</c>), or null.</param>
/// <param name="Clients">The client certificates (<c>--tls-client-allow</c>), perhaps none.</param>
/// <param name="Certificate">The server's TLS certificate with its key (<c>--tls-cert</c> or <c>--tls-self-signed</c>), or null: plain TCP.</param>
public sealed record TunnelServeCredentials(TunnelKey? Key, ClientCertificateAllowList Clients, X509Certificate2? Certificate)
{
    /// <summary>What the tunnel server checks handshakes against: the key, and exactly the listed certificates.</summary>
    public TunnelServerCredentials ForServer() => new()
    {
        Key = Key,
        AllowClientCertificates = Clients.Entries.Count > 0,
        ClientCertificates = Clients.Entries.Select(e => e.Fingerprint).ToHashSet(StringComparer.Ordinal),
    };

    /// <summary>The listener's TLS: the certificate, and the client certificates it asks for and names; null without TLS.</summary>
    public TunnelTlsServerOptions? Tls() => Certificate is null ? null : Clients.ApplyTo(new TunnelTlsServerOptions { Certificate = Certificate });
}
