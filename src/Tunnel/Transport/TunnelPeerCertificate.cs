namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>
/// The TLS client certificate a peer presented, as the server's listener found it: its fingerprint, whether the
/// server's allowed list holds it, and the name that list gives it (for log lines).
/// </summary>
/// <param name="Fingerprint">Its SHA-256 fingerprint, lower-case hex (<see cref="TunnelCertificates.Fingerprint"/>).</param>
/// <param name="Allowed">The server's <see cref="TunnelTlsServerOptions.AllowedClientCertificates"/> holds it.</param>
/// <param name="Name">The name <see cref="TunnelTlsServerOptions.ClientCertificateNames"/> gives it, or null.</param>
public sealed record TunnelPeerCertificate(string Fingerprint, bool Allowed, string? Name)
{
    /// <summary>Hex digits of the fingerprint a log line shows (64 bits: enough to tell a server's clients apart).</summary>
    public const int ShortLength = 16;

    /// <summary>The first <see cref="ShortLength"/> hex digits of <see cref="Fingerprint"/>.</summary>
    public string ShortFingerprint => Fingerprint[..Math.Min(ShortLength, Fingerprint.Length)];

    /// <summary>"certificate 3f9a1c0b2d4e5f60 (alice)", or without the name when it has none.</summary>
    public override string ToString() => Name is null ? $"certificate {ShortFingerprint}" : $"certificate {ShortFingerprint} ({Name})";
}
