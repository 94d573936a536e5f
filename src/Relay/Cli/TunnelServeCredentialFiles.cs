using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// The files <c>relay tunnel serve</c> reads its credentials from (<c>--key-file</c>, each <c>--tls-client-allow</c>
/// file, <c>--tls-cert</c> with <c>--tls-key</c>), read by the same code at start and at each reload (SIGHUP), with the
/// same checks. Fingerprints given on the command line stay as given, and a <c>--tls-self-signed</c> certificate, made
/// once at start, is kept.
/// </summary>
/// <param name="KeyFile">The key file, or null.</param>
/// <param name="Allow">The values of <c>--tls-client-allow</c>: fingerprints and allow files, in order.</param>
/// <param name="CertificateFile">The PEM certificate, or null.</param>
/// <param name="PrivateKeyFile">Its PEM private key, or null.</param>
/// <param name="SelfSigned">The self-signed certificate made at start, or null.</param>
internal sealed record TunnelServeCredentialFiles(
    FileInfo? KeyFile, IReadOnlyList<string> Allow, FileInfo? CertificateFile, FileInfo? PrivateKeyFile, X509Certificate2? SelfSigned)
{
    /// <summary>
    /// Reads every file. False with each problem in <paramref name="problems"/>, as a start words it (the file and, for
    /// an allow file, the line), in the order a start meets them: the key, the allow list, whether anyone can get in (at
    /// start only: <paramref name="reload"/> takes an allow file emptied of its last line, as that user's revocation), the
    /// TLS certificate.
    /// </summary>
    public bool TryRead([NotNullWhen(true)] out TunnelServeCredentials? credentials, out IReadOnlyList<string> problems, bool reload = false)
    {
        var found = new List<string>();
        TunnelKey? key = KeyFile is null ? null : Attempt(found, () => TunnelWireCommands.ReadKey(KeyFile));
        ClientCertificateAllowList clients = TunnelClientCertificateFlags.LoadAllowList(Allow, found);
        if (!reload && found.Count == 0 && key is null && clients.Entries.Count == 0)
        {
            found.Add("no client could get in: no --key-file, and --tls-client-allow lists no certificate");
        }

        X509Certificate2? certificate = SelfSigned
            ?? (CertificateFile is null ? null : Attempt(found, () => TunnelClientCertificateFlags.LoadPem(CertificateFile, PrivateKeyFile!, "TLS certificate")));
        problems = found;
        credentials = found.Count == 0 ? new TunnelServeCredentials(key, clients, certificate) : null;
        return credentials is not null;
    }

    /// <summary>Reads every file, as a start does: the first problem stops it (exit code 2).</summary>
    /// <exception cref="RelayToolException">A file a start refuses.</exception>
    public TunnelServeCredentials Read() =>
        TryRead(out TunnelServeCredentials? credentials, out IReadOnlyList<string> problems)
            ? credentials
            : throw new RelayToolException(ExitCode.Usage, problems[0]);

    private static T? Attempt<T>(List<string> problems, Func<T> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (RelayToolException e)
        {
            problems.Add(e.Message);
            return null;
        }
    }
}
