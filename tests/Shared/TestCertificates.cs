using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tests.Shared;

/// <summary>
/// Self-signed certificates for tests of per-user TLS client certificates: the server's, and two users', Alice (whom
/// the tests let in) and Mallory (whom they do not). Disposed together.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    public X509Certificate2 Server { get; } = TunnelCertificates.CreateSelfSigned("localhost");

    public X509Certificate2 Alice { get; } = TunnelCertificates.CreateSelfSigned("alice");

    public X509Certificate2 Mallory { get; } = TunnelCertificates.CreateSelfSigned("mallory");

    /// <summary>A client's TLS: pins <see cref="Server"/> and presents <paramref name="certificate"/>, if any.</summary>
    public TunnelTlsClientOptions ClientTls(X509Certificate2? certificate) => new()
    {
        TargetHost = "localhost",
        PinnedServerCertificate = TunnelCertificates.Fingerprint(Server),
        ClientCertificate = certificate,
    };

    public void Dispose()
    {
        Server.Dispose();
        Alice.Dispose();
        Mallory.Dispose();
    }
}
