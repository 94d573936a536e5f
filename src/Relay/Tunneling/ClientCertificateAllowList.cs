using System.Globalization;
using System.Text;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tunneling;

/// <summary>One client certificate <c>relay tunnel serve</c> lets in: its fingerprint, its name for the log, and where it was given.</summary>
/// <param name="Fingerprint">SHA-256, lower-case hex without colons (<see cref="TunnelCertificates.Fingerprint"/>).</param>
/// <param name="Name">The name after the fingerprint in an allow file, or null.</param>
/// <param name="Source">Where it was given, for messages: "FILE line N", or "--tls-client-allow".</param>
public sealed record AllowedClientCertificate(string Fingerprint, string? Name, string Source);

/// <summary>
/// The client certificates <c>relay tunnel serve --tls-client-allow</c> lets in, from fingerprints on the command line and
/// from allow files. An allow file holds one certificate a line: its SHA-256 fingerprint (as <c>--tls-pin</c> takes it:
/// 64 hex digits, either case, colons allowed) and, optionally, after white space, a name the log shows when that client
/// opens a session. <c>#</c> starts a comment; blank lines are skipped:
/// <code>
/// # users of spinn-4
/// 3f9a1c0b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8  alice
/// 8C:2D:…                                                             Bob Smith   # until June
/// </code>
/// Each problem is reported with its file and line. A fingerprint given twice is one of them: of two lines for one
/// certificate, deleting one to revoke it would leave the other.
/// </summary>
public sealed class ClientCertificateAllowList
{
    /// <summary>Longest line of an allow file, in characters.</summary>
    public const int MaxLineLength = 1024;

    /// <summary>Longest name after a fingerprint, in characters.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The source of fingerprints given on the command line.</summary>
    private const string CommandLine = "--tls-client-allow";

    private readonly List<AllowedClientCertificate> _entries = [];
    private readonly List<string> _sources = [];
    private readonly Dictionary<string, AllowedClientCertificate> _byFingerprint = new(StringComparer.Ordinal);

    /// <summary>The certificates, in the order given.</summary>
    public IReadOnlyList<AllowedClientCertificate> Entries => _entries;

    /// <summary>Where they came from, for the start line: each file, and "--tls-client-allow" for fingerprints given as such.</summary>
    public IReadOnlyList<string> Sources => _sources;

    /// <summary>Adds one fingerprint given on the command line.</summary>
    /// <exception cref="FormatException">Not a fingerprint, or one given already (the message says where).</exception>
    public void AddFingerprint(string text)
    {
        if (!TunnelCertificates.TryParseFingerprint(text, out string? fingerprint))
        {
            throw new FormatException($"{NotAFingerprint(text)} for --tls-client-allow");
        }

        Add(new AllowedClientCertificate(fingerprint, null, CommandLine));
        if (!_sources.Contains(CommandLine))
        {
            _sources.Add(CommandLine);
        }
    }

    /// <summary>
    /// Adds every certificate an allow file's <paramref name="text"/> lists; <paramref name="source"/> names the file in
    /// messages. Nothing is added when a line is wrong.
    /// </summary>
    /// <exception cref="FormatException">A line is wrong: "SOURCE line N: why".</exception>
    public void AddFile(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var found = new List<AllowedClientCertificate>();
        var here = new Dictionary<string, AllowedClientCertificate>(StringComparer.Ordinal);
        int number = 0;
        foreach (string raw in text.Split('\n'))
        {
            number++;
            string where = $"{source} line {number.ToString(CultureInfo.InvariantCulture)}";
            if (raw.Length > MaxLineLength)
            {
                throw new FormatException($"{where}: longer than {MaxLineLength} characters; is this an allow file (one fingerprint a line)?");
            }

            ReadOnlySpan<char> line = raw.AsSpan();
            int comment = line.IndexOf('#');
            line = (comment >= 0 ? line[..comment] : line).Trim(); // also the \r of a CRLF line
            if (line.IsEmpty)
            {
                continue;
            }

            int gap = 0;
            while (gap < line.Length && !char.IsWhiteSpace(line[gap]))
            {
                gap++;
            }

            string fingerprintText = line[..gap].ToString();
            string name = line[gap..].Trim().ToString();
            if (!TunnelCertificates.TryParseFingerprint(fingerprintText, out string? fingerprint))
            {
                throw new FormatException($"{where}: {NotAFingerprint(fingerprintText)}, then optionally a name");
            }

            if (NameProblem(name) is { } problem)
            {
                throw new FormatException($"{where}: the name after the fingerprint {problem}");
            }

            var entry = new AllowedClientCertificate(fingerprint, name.Length == 0 ? null : name, where);
            if (here.TryGetValue(fingerprint, out AllowedClientCertificate? earlier) || _byFingerprint.TryGetValue(fingerprint, out earlier))
            {
                throw Twice(entry, earlier);
            }

            here.Add(fingerprint, entry);
            found.Add(entry);
        }

        foreach (AllowedClientCertificate entry in found)
        {
            Add(entry);
        }

        _sources.Add(source);
    }

    /// <summary>What the listener needs: the fingerprints it lets in and their names for the log.</summary>
    public TunnelTlsServerOptions ApplyTo(TunnelTlsServerOptions tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        return new TunnelTlsServerOptions
        {
            Certificate = tls.Certificate,
            AllowedClientCertificates = [.. _entries.Select(e => e.Fingerprint)],
            ClientCertificateNames = _entries.Where(e => e.Name is not null).ToDictionary(e => e.Fingerprint, e => e.Name!, StringComparer.Ordinal),
        };
    }

    /// <summary>Why <paramref name="name"/> cannot name a client in the log, or null when it can (empty: no name).</summary>
    internal static string? NameProblem(string name)
    {
        if (name.Length > MaxNameLength)
        {
            return $"is longer than {MaxNameLength} characters";
        }

        foreach (Rune rune in name.EnumerateRunes())
        {
            if (rune == Rune.ReplacementChar)
            {
                return "is not UTF-8 text";
            }

            if (Rune.IsControl(rune) || Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format)
            {
                return $"has a character a log line should not carry (U+{rune.Value:X4})";
            }
        }

        return null;
    }

    private void Add(AllowedClientCertificate entry)
    {
        if (_byFingerprint.TryGetValue(entry.Fingerprint, out AllowedClientCertificate? earlier))
        {
            throw Twice(entry, earlier);
        }

        _byFingerprint.Add(entry.Fingerprint, entry);
        _entries.Add(entry);
    }

    private static FormatException Twice(AllowedClientCertificate entry, AllowedClientCertificate earlier) =>
        new($"{entry.Source}: certificate {entry.Fingerprint[..TunnelPeerCertificate.ShortLength]}… is listed already ({earlier.Source})");

    /// <summary>Says that <paramref name="text"/> is not a fingerprint and what one looks like (for an allow file, --tls-client-allow and --tls-pin).</summary>
    internal static string NotAFingerprint(string text) =>
        $"'{Log.Escape(text, 80)}' is not a SHA-256 fingerprint (64 hex digits, colons allowed)";
}
