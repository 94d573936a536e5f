namespace FastSpinnRelay.Tunnel;

/// <summary>
/// The sessions one <see cref="TunnelServer.UpdateCredentialsAsync"/> ended because the new credentials no longer let
/// their clients in.
/// </summary>
/// <param name="KeySessions">Sessions opened with the pre-shared key, which changed or was removed.</param>
/// <param name="CertificateSessions">Sessions opened with a client certificate no longer listed, by its fingerprint.</param>
public sealed record TunnelRevokedSessions(int KeySessions, IReadOnlyDictionary<string, int> CertificateSessions)
{
    /// <summary>Sessions ended in all.</summary>
    public int Total => KeySessions + CertificateSessions.Values.Sum();

    /// <summary>Sessions of the client certificate with <paramref name="fingerprint"/> ended (0 when none).</summary>
    public int OfCertificate(string fingerprint) => CertificateSessions.GetValueOrDefault(fingerprint);
}
