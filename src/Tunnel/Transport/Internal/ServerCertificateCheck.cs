using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace FastSpinnRelay.Tunnel.Transport.Internal;

/// <summary>
/// How one TLS connection of a client checks the server's certificate: exactly the pinned one, whatever its chain or
/// name (self-signed servers), or without a pin the usual chain and name validation. A certificate it refuses leaves
/// <see cref="Refusal"/> saying which server, which certificate and why, for <see cref="TunnelServerCertificateException"/>.
/// </summary>
internal sealed class ServerCertificateCheck(TunnelTlsClientOptions tls, string server)
{
    /// <summary>Why the server's certificate was refused, or null (accepted, or not looked at yet).</summary>
    public string? Refusal { get; private set; }

    /// <summary>The <see cref="RemoteCertificateValidationCallback"/> of the connection.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            Refusal = $"the server {server} presented no TLS certificate";
            return false;
        }

        string fingerprint = TunnelCertificates.Fingerprint(certificate);
        string described = $"{TunnelLog.Escape(certificate.Subject)} (SHA-256 {fingerprint})";
        if (tls.PinnedServerCertificate is { } pin)
        {
            if (TunnelCertificates.SameFingerprint(pin, fingerprint))
            {
                return true;
            }

            Refusal = $"the server {server} presented the TLS certificate {described}, not the pinned {pin}";
            return false;
        }

        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        Refusal = errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)
            ? $"the server {server}'s TLS certificate {described} is not for the host name '{TunnelLog.Escape(tls.TargetHost)}'"
            : $"the server {server}'s TLS certificate {described} does not chain to a trusted root ({ChainProblems(chain)})";
        return false;
    }

    private static string ChainProblems(X509Chain? chain)
    {
        // A loop, not LINQ over the X509ChainStatus structs: native AOT would compile LINQ's iterators again for them.
        var problems = new List<string>();
        foreach (X509ChainStatus status in chain?.ChainStatus ?? [])
        {
            string text = status.Status.ToString();
            if (!problems.Contains(text))
            {
                problems.Add(text);
            }
        }

        return problems.Count == 0 ? "chain errors" : string.Join(", ", problems);
    }
}
