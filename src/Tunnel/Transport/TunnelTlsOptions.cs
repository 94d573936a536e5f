using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>TLS for the server end: its certificate, and which client certificates it accepts (optional).</summary>
public sealed class TunnelTlsServerOptions
{
    /// <summary>The server certificate with its private key (a file, or <see cref="TunnelCertificates.CreateSelfSigned"/>).</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>
    /// SHA-256 fingerprints (hex) of the client certificates the server accepts. Empty: client certificates are not
    /// asked for, and clients authenticate with the pre-shared key.
    /// </summary>
    public IReadOnlyCollection<string> AllowedClientCertificates { get; init; } = [];

    /// <summary>
    /// Names of allowed client certificates, by fingerprint (lower-case hex without colons, as
    /// <see cref="TunnelCertificates.Fingerprint"/> writes it): the server's log says which client opened a session
    /// (<see cref="TunnelPeerCertificate"/>). Optional; the names go into log lines as they are.
    /// </summary>
    public IReadOnlyDictionary<string, string> ClientCertificateNames { get; init; } = ReadOnlyDictionary<string, string>.Empty;
}

/// <summary>TLS for the client end: how it checks the server, and its own certificate (optional).</summary>
public sealed class TunnelTlsClientOptions
{
    /// <summary>The name expected in the server certificate (SNI and, without a pin, chain validation).</summary>
    public required string TargetHost { get; init; }

    /// <summary>
    /// SHA-256 fingerprint (hex) of the server certificate to trust exactly (for a self-signed server certificate);
    /// null: the usual chain and name validation against the system's trusted roots.
    /// </summary>
    public string? PinnedServerCertificate { get; init; }

    /// <summary>A client certificate to present (auth method 2), or null.</summary>
    public X509Certificate2? ClientCertificate { get; init; }
}

/// <summary>Certificate helpers for the tunnel's TLS.</summary>
public static class TunnelCertificates
{
    /// <summary>TLS server authentication, as an extended key usage.</summary>
    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    /// <summary>TLS client authentication, as an extended key usage.</summary>
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>
    /// A new self-signed ECDSA P-256 certificate for <paramref name="subjectName"/>, valid for 10 years, for either end of
    /// TLS (a user's client certificate, <c>--tls-self-signed</c>).
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(string subjectName) =>
        Create(subjectName, [subjectName], [ServerAuthentication, ClientAuthentication]);

    /// <summary>
    /// A new self-signed ECDSA P-256 server certificate valid for 10 years: server authentication only, named after the
    /// first of <paramref name="hostNames"/> and valid for all of them (host names, or IPv4 and IPv6 addresses).
    /// </summary>
    /// <exception cref="ArgumentException">No name, or one that is neither a host name nor an address.</exception>
    public static X509Certificate2 CreateSelfSignedServer(IReadOnlyList<string> hostNames)
    {
        ArgumentNullException.ThrowIfNull(hostNames);
        if (hostNames.Count == 0)
        {
            throw new ArgumentException("A server certificate needs a host name.", nameof(hostNames));
        }

        if (hostNames.FirstOrDefault(n => !IsHostName(n)) is { } bad)
        {
            throw new ArgumentException($"'{TunnelLog.Escape(bad)}' is not a host name or an address.", nameof(hostNames));
        }

        return Create(hostNames[0], hostNames, [ServerAuthentication]);
    }

    /// <summary>True for a DNS host name ("gateway.example.org", "localhost") or an IPv4 or IPv6 address.</summary>
    public static bool IsHostName(string? name) =>
        !string.IsNullOrEmpty(name) && Uri.CheckHostName(name) is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6;

    /// <summary>
    /// True when <paramref name="certificate"/> may serve for <paramref name="usage"/> (<see cref="ServerAuthentication"/>
    /// or <see cref="ClientAuthentication"/>): it lists that extended key usage, or none at all (then any).
    /// </summary>
    public static bool AllowsUsage(X509Certificate2 certificate, string usage)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        X509EnhancedKeyUsageExtension? usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        return usages is null || usages.EnhancedKeyUsages.Cast<Oid>().Any(oid => oid.Value == usage);
    }

    private static X509Certificate2 Create(string subjectName, IReadOnlyList<string> names, string[] usages)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={subjectName}"), key, HashAlgorithmName.SHA256);
        var alternatives = new SubjectAlternativeNameBuilder();
        foreach (string name in names)
        {
            if (Uri.CheckHostName(name) is UriHostNameType.IPv4 or UriHostNameType.IPv6)
            {
                alternatives.AddIpAddress(System.Net.IPAddress.Parse(name));
            }
            else
            {
                alternatives.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(alternatives.Build());
        var oids = new OidCollection();
        foreach (string usage in usages)
        {
            oids.Add(new Oid(usage));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>The SHA-256 fingerprint of a certificate, as lower-case hex (what pins and allow-lists hold).</summary>
    public static string Fingerprint(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexStringLower(SHA256.HashData(certificate.GetRawCertData()));
    }

    /// <summary>
    /// Reads a SHA-256 fingerprint as a pin or an allowed list gives it: 64 hex digits in either case, colons
    /// anywhere (<c>AB:12:…</c>, as openssl prints it), spaces around; <paramref name="fingerprint"/> is then what
    /// <see cref="Fingerprint"/> writes (lower-case, no colons).
    /// </summary>
    public static bool TryParseFingerprint(string? text, [NotNullWhen(true)] out string? fingerprint)
    {
        fingerprint = null;
        string digits = (text ?? "").Trim().Replace(":", "", StringComparison.Ordinal);
        if (digits.Length != 2 * SHA256.HashSizeInBytes || !digits.All(char.IsAsciiHexDigit))
        {
            return false;
        }

        fingerprint = digits.ToLowerInvariant();
        return true;
    }

    internal static bool SameFingerprint(string expected, X509Certificate certificate) => SameFingerprint(expected, Fingerprint(certificate));

    /// <summary>True when <paramref name="expected"/> (a pin or list entry) is <paramref name="actual"/>; constant time.</summary>
    internal static bool SameFingerprint(string expected, string actual) =>
        TryParseFingerprint(expected, out string? normalised)
        && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(actual), System.Text.Encoding.ASCII.GetBytes(normalised));
}
