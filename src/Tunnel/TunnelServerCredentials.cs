namespace FastSpinnRelay.Tunnel;

/// <summary>
/// What a <see cref="TunnelServer"/> lets in: the pre-shared key, and client certificates (auth method 2). The server
/// starts with those of its <see cref="TunnelServerOptions"/>; <see cref="TunnelServer.UpdateCredentialsAsync"/> swaps the
/// whole set at once (a reload), for new handshakes, and ends the sessions of identities it no longer lets in.
/// </summary>
public sealed class TunnelServerCredentials
{
    /// <summary>The pre-shared key clients must prove; null: the key is not a way in.</summary>
    public TunnelKey? Key { get; init; }

    /// <summary>Accept clients whose TLS certificate the transport verified (auth method 2).</summary>
    public bool AllowClientCertificates { get; init; }

    /// <summary>
    /// The SHA-256 fingerprints (lower-case hex, as <see cref="Transport.TunnelCertificates.Fingerprint"/> writes them)
    /// of the client certificates let in. Null: every certificate the transport found on its own list
    /// (<see cref="Transport.TunnelPeerCertificate.Allowed"/>), as a server does from its options.
    /// </summary>
    public IReadOnlySet<string>? ClientCertificates { get; init; }

    /// <summary>The credentials of <paramref name="options"/>: its key, and the certificates the transport lets in.</summary>
    public static TunnelServerCredentials From(TunnelServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TunnelServerCredentials { Key = options.Key, AllowClientCertificates = options.AllowClientCertificates };
    }

    /// <summary>Whether a client certificate is let in by these credentials, given the transport's verdict on it.</summary>
    internal bool Allows(Transport.TunnelPeerCertificate certificate) =>
        AllowClientCertificates && (ClientCertificates?.Contains(certificate.Fingerprint) ?? certificate.Allowed);

    /// <summary>
    /// Whether a client that proved itself against <paramref name="checkedAgainst"/> is still let in by these credentials:
    /// with its certificate (<paramref name="clientFingerprint"/>) still listed, or with the key (null fingerprint)
    /// unchanged.
    /// </summary>
    internal bool StillAllows(string? clientFingerprint, TunnelServerCredentials checkedAgainst)
    {
        if (ReferenceEquals(this, checkedAgainst))
        {
            return true;
        }

        if (clientFingerprint is null)
        {
            return Key is not null && Key.SameAs(checkedAgainst.Key);
        }

        return AllowClientCertificates && (ClientCertificates is null || ClientCertificates.Contains(clientFingerprint));
    }
}
