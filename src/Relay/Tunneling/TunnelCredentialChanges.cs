using System.Globalization;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tunneling;

/// <summary>
/// What a reload of <c>relay tunnel serve</c>'s credentials changes: client certificates added, removed or renamed, the
/// pre-shared key, the server's TLS certificate. Written as the one line the reload logs, with the sessions it ended.
/// </summary>
/// <param name="Added">Certificates listed now and not before.</param>
/// <param name="Removed">Certificates listed before and not now.</param>
/// <param name="Renamed">Certificates listed in both with another name: (before, now).</param>
/// <param name="KeyChanged">The pre-shared key is another one (or was added or removed).</param>
/// <param name="NewCertificate">The server's new TLS certificate's fingerprint, or null when it is the same.</param>
public sealed record TunnelCredentialChanges(
    IReadOnlyList<AllowedClientCertificate> Added,
    IReadOnlyList<AllowedClientCertificate> Removed,
    IReadOnlyList<(AllowedClientCertificate Before, AllowedClientCertificate Now)> Renamed,
    bool KeyChanged,
    string? NewCertificate)
{
    /// <summary>What changed from <paramref name="before"/> to <paramref name="now"/>.</summary>
    public static TunnelCredentialChanges Between(TunnelServeCredentials before, TunnelServeCredentials now)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(now);
        var was = before.Clients.Entries.ToDictionary(e => e.Fingerprint, StringComparer.Ordinal);
        var @is = now.Clients.Entries.ToDictionary(e => e.Fingerprint, StringComparer.Ordinal);
        string? oldCertificate = before.Certificate is null ? null : TunnelCertificates.Fingerprint(before.Certificate);
        string? newCertificate = now.Certificate is null ? null : TunnelCertificates.Fingerprint(now.Certificate);
        return new TunnelCredentialChanges(
            [.. now.Clients.Entries.Where(e => !was.ContainsKey(e.Fingerprint))],
            [.. before.Clients.Entries.Where(e => !@is.ContainsKey(e.Fingerprint))],
            [.. before.Clients.Entries.Where(e => @is.TryGetValue(e.Fingerprint, out var kept) && kept.Name != e.Name).Select(e => (e, @is[e.Fingerprint]))],
            before.Key is null ? now.Key is not null : !before.Key.SameAs(now.Key),
            newCertificate == oldCertificate ? null : newCertificate);
    }

    /// <summary>True when nothing changed (no certificate added, removed or renamed, the same key and TLS certificate).</summary>
    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Renamed.Count == 0 && !KeyChanged && NewCertificate is null;

    /// <summary>
    /// "client certificates added: alice; removed: bob (1 session ended); pre-shared key changed (2 sessions ended); TLS
    /// certificate changed: FINGERPRINT", or "nothing changed".
    /// </summary>
    public string Describe(TunnelRevokedSessions ended)
    {
        ArgumentNullException.ThrowIfNull(ended);
        var parts = new List<string>();
        var certificates = new List<string>();
        if (Added.Count > 0)
        {
            certificates.Add($"added: {string.Join(", ", Added.Select(Label))}");
        }

        if (Removed.Count > 0)
        {
            certificates.Add($"removed: {string.Join(", ", Removed.Select(e => Label(e) + Sessions(ended.OfCertificate(e.Fingerprint))))}");
        }

        if (Renamed.Count > 0)
        {
            certificates.Add($"renamed: {string.Join(", ", Renamed.Select(r => $"{Label(r.Before)} to {Label(r.Now)}"))}");
        }

        if (certificates.Count > 0)
        {
            parts.Add($"client certificates {string.Join("; ", certificates)}");
        }

        if (KeyChanged)
        {
            parts.Add("pre-shared key changed" + Sessions(ended.KeySessions));
        }

        if (NewCertificate is not null)
        {
            parts.Add($"TLS certificate changed: {NewCertificate} (for new connections)");
        }

        return parts.Count == 0 ? "nothing changed" : string.Join("; ", parts);
    }

    /// <summary>A certificate as the line names it: its name, else the start of its fingerprint.</summary>
    private static string Label(AllowedClientCertificate entry) =>
        entry.Name is { } name ? Diagnostics.Log.Escape(name, ClientCertificateAllowList.MaxNameLength) : entry.Fingerprint[..TunnelPeerCertificate.ShortLength];

    private static string Sessions(int count) => count switch
    {
        0 => "",
        1 => " (1 session ended)",
        _ => $" ({count.ToString(CultureInfo.InvariantCulture)} sessions ended)",
    };
}
