using System.CommandLine;
using System.CommandLine.Parsing;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// Per-user authentication for <c>relay tunnel serve</c> and <c>connect</c>: TLS client certificates (auth method 2)
/// instead of, or besides, the pre-shared key. <c>serve --tls-client-allow</c> names the certificates it lets in;
/// <c>connect --tls-client-cert/--tls-client-key</c> presents one. The checks between these flags, the key file and TLS
/// are parse errors, so they name the flags before anything is read or bound.
/// </summary>
internal static class TunnelClientCertificateFlags
{
    /// <summary><c>serve --tls-client-allow FINGERPRINT|FILE</c>, repeatable.</summary>
    public static Option<string[]> CreateAllow()
    {
        var option = new Option<string[]>("--tls-client-allow")
        {
            Description = "Let in clients whose TLS certificate has this SHA-256 fingerprint (64 hex digits, colons allowed, as " +
                          "`relay tunnel certgen` prints it), or any certificate this FILE lists: one fingerprint a line, then optionally a " +
                          "name for the log; '#' comments. Repeat for more. Needs TLS (--tls-cert and --tls-key, or --tls-self-signed); " +
                          "with it --key-file is optional, and a client may prove either. Read at start and at each SIGHUP (systemctl reload): " +
                          "a line deleted there ends that client's sessions at once.",
            HelpName = "FINGERPRINT|FILE",
            Arity = ArgumentArity.OneOrMore,
        };
        option.Validators.Add(r => CheckFingerprints(r, LooksLikeFingerprint, " (a file whose name looks like one: ./NAME)"));
        return option;
    }

    /// <summary>
    /// Adds an error for each of the option's values that <paramref name="meant"/> as a fingerprint but is not one;
    /// <paramref name="hint"/> ends the message.
    /// </summary>
    public static void CheckFingerprints(OptionResult result, Func<string, bool> meant, string hint = "")
    {
        ArgumentNullException.ThrowIfNull(result);
        foreach (var token in result.Tokens)
        {
            if (meant(token.Value) && !TunnelCertificates.TryParseFingerprint(token.Value, out _))
            {
                result.AddError($"{ClientCertificateAllowList.NotAFingerprint(token.Value)} for {result.Option.Name}{hint}");
            }
        }
    }

    /// <summary><c>connect --tls-client-cert FILE</c>.</summary>
    public static Option<FileInfo?> CreateClientCert() => new("--tls-client-cert")
    {
        Description = "Prove yourself to the server with this PEM certificate (with --tls-client-key; `relay tunnel certgen` makes both) " +
                      "instead of a key file; the server lets it in by its fingerprint (serve --tls-client-allow). Implies --tls.",
        HelpName = "FILE",
    };

    /// <summary><c>connect --tls-client-key FILE</c>.</summary>
    public static Option<FileInfo?> CreateClientKey() => new("--tls-client-key")
    {
        Description = "The PEM private key of --tls-client-cert.",
        HelpName = "FILE",
    };

    /// <summary>
    /// <c>serve</c>: a key file, client certificates, or both; client certificates only with TLS.
    /// </summary>
    public static void ValidateServe(CommandResult result, Option<FileInfo?> keyFile, Option<string[]> allow, Option<FileInfo?> tlsCert, Option<FileInfo?> tlsKey, Option<bool> selfSigned)
    {
        bool certificates = result.GetResult(allow) is not null;
        if (result.GetResult(keyFile) is null && !certificates)
        {
            result.AddError("say how clients prove themselves: --key-file FILE (a pre-shared key), --tls-client-allow FINGERPRINT|FILE " +
                            "(client certificates, with TLS), or both");
        }

        if (certificates && result.GetResult(tlsCert) is null && result.GetResult(tlsKey) is null && !result.GetValue(selfSigned))
        {
            result.AddError("--tls-client-allow needs TLS: add --tls-cert and --tls-key, or --tls-self-signed");
        }
    }

    /// <summary><c>connect</c>: a key file or a client certificate with its key, not both.</summary>
    public static void ValidateConnect(CommandResult result, Option<FileInfo?> keyFile, Option<FileInfo?> clientCert, Option<FileInfo?> clientKey)
    {
        bool certificate = result.GetResult(clientCert) is not null;
        if (certificate != (result.GetResult(clientKey) is not null))
        {
            result.AddError("--tls-client-cert and --tls-client-key go together");
        }
        else if (result.GetResult(keyFile) is null && !certificate)
        {
            result.AddError("say how to prove yourself to the server: --key-file FILE (its pre-shared key), or --tls-client-cert FILE " +
                            "and --tls-client-key FILE (a client certificate it lets in)");
        }
        else if (result.GetResult(keyFile) is not null && certificate)
        {
            result.AddError("--key-file and --tls-client-cert exclude each other: a client proves itself one way, with the key or with its certificate");
        }
    }

    /// <summary>
    /// Reads <c>--tls-client-allow</c>'s values: each a fingerprint, or an allow file (read now). One usage error naming
    /// the file and line of the first problem.
    /// </summary>
    public static ClientCertificateAllowList LoadAllowList(IEnumerable<string> values)
    {
        var problems = new List<string>();
        var list = LoadAllowList(values, problems);
        return problems.Count == 0 ? list : throw new RelayToolException(ExitCode.Usage, problems[0]);
    }

    /// <summary>
    /// Reads <c>--tls-client-allow</c>'s values as <see cref="LoadAllowList(IEnumerable{string})"/> does, adding the problem
    /// of each value that is wrong (its file and line) to <paramref name="problems"/> and going on with the next.
    /// </summary>
    public static ClientCertificateAllowList LoadAllowList(IEnumerable<string> values, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var list = new ClientCertificateAllowList();
        foreach (var value in values)
        {
            try
            {
                if (LooksLikeFingerprint(value))
                {
                    list.AddFingerprint(value);
                }
                else
                {
                    var file = new FileInfo(value);
                    list.AddFile(CredentialFiles.ReadText(file, "allow file (--tls-client-allow)"), file.FullName);
                }
            }
            catch (FormatException e)
            {
                problems.Add(e.Message);
            }
            catch (RelayToolException e)
            {
                problems.Add(e.Message);
            }
        }

        return list;
    }

    /// <summary>
    /// A PEM certificate with its PEM private key, ready for TLS: <paramref name="what"/> names it in errors ("TLS
    /// certificate", "TLS client certificate"). Each file that cannot be read is named, and so is a pair that does not load.
    /// </summary>
    public static X509Certificate2 LoadPem(FileInfo certificate, FileInfo key, string what)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(key);
        string certificateText = CredentialFiles.ReadText(certificate, what);
        string keyText = CredentialFiles.ReadText(key, $"private key of the {what}");
        try
        {
            return PemCertificate.Load(certificateText, keyText);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new RelayToolException(ExitCode.Usage, $"cannot load the {what} {certificate.FullName} with key {key.FullName}: {e.Message}");
        }
    }

    /// <summary>
    /// True when <c>--tls-client-allow</c>'s <paramref name="value"/> is meant as a fingerprint (only hex digits and
    /// colons), not a file.
    /// </summary>
    internal static bool LooksLikeFingerprint(string value) => value.Trim().All(c => char.IsAsciiHexDigit(c) || c == ':');
}
