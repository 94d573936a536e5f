using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Compression;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// <c>relay tunnel</c>: the authenticated, resumable tunnel (docs/tunnel-protocol.md). <c>keygen</c> makes the
/// pre-shared key both ends hold; <c>certgen</c> a user's TLS client certificate instead; <c>info</c> shows the protocol
/// version and whether LZ4 batch compression works in this binary; <c>serve</c> and <c>connect</c>
/// (<see cref="TunnelWireCommands"/>) run the two ends.
/// </summary>
public static class TunnelCommand
{
    private static readonly Option<FileInfo?> Out = new("--out", "-o")
    {
        Description = "Write the key to this file (created with mode 600, refused if it exists) instead of standard output.",
        HelpName = "FILE",
    };

    private static readonly Option<FileInfo> CertificateOut = new("--out", "-o")
    {
        Description = "Write the certificate to FILE.crt and its private key to FILE.key (mode 600); existing files are refused unless --force.",
        HelpName = "FILE",
        Required = true,
    };

    private static readonly Option<string[]> CertificateName = new("--name")
    {
        Description = $"Who a client certificate is for: its subject, and the name its allow-file line gives the server's log (1-{MaxCertificateName} " +
                      "letters, digits, '.', '_' or '-') [default: FILE's name]. With --server: a host name or address clients connect to, " +
                      "repeatable; the first is its subject [default: this machine's host name].",
        HelpName = "NAME",
        Arity = ArgumentArity.ZeroOrMore,
    };

    private static readonly Option<bool> ServerCertificate = new("--server")
    {
        Description = "Make a server certificate for `relay tunnel serve --tls-cert FILE.crt --tls-key FILE.key` instead (TLS server " +
                      "authentication, valid for the --name hosts) and print its fingerprint for clients' --tls-pin: unlike " +
                      "--tls-self-signed's, it stays the same across restarts.",
    };

    private static readonly Option<bool> Force = new("--force")
    {
        Description = "Replace FILE.crt and FILE.key if they exist.",
    };

    /// <summary>The longest <c>certgen --name</c>.</summary>
    private const int MaxCertificateName = 64;

    public static Command Create()
    {
        var keygen = new Command("keygen", "Print a new pre-shared key (32 random bytes as 64 hex digits) for both ends of a tunnel.") { Out };
        keygen.SetAction(parse => Keygen(parse.GetValue(Out), Console.Out));
        var certgen = new Command("certgen",
            "Make a TLS client certificate for one user (self-signed ECDSA P-256, valid 10 years) for `relay tunnel connect " +
            "--tls-client-cert FILE.crt --tls-client-key FILE.key`, and print the line that lets it in on the server " +
            "(`relay tunnel serve --tls-client-allow ALLOW_FILE`); with --server, the server's own certificate and its --tls-pin.")
        {
            CertificateOut, CertificateName, ServerCertificate, Force,
        };
        certgen.SetAction(parse =>
        {
            var names = parse.GetValue(CertificateName) ?? [];
            if (parse.GetValue(ServerCertificate))
            {
                return CertgenServer(parse.GetValue(CertificateOut)!, names.Length > 0 ? names : [DefaultHostName()], parse.GetValue(Force), Console.Out);
            }

            return Certgen(parse.GetValue(CertificateOut)!, names.FirstOrDefault(), parse.GetValue(Force), Console.Out);
        });
        certgen.Validators.Add(r =>
        {
            if (!r.GetValue(ServerCertificate) && r.GetValue(CertificateName) is { Length: > 1 })
            {
                r.AddError("a client certificate has one --name (several host names only with --server)");
            }
        });
        var info = new Command("info", "Show the tunnel protocol version and whether LZ4 batch compression is available, with its saving on a sample spike stream.");
        info.SetAction(_ => Info(Console.Out));
        return new Command("tunnel", "The authenticated, multiplexed, resumable tunnel between a relay server and a relay client.")
        {
            keygen, certgen, info, TunnelWireCommands.CreateServe(), TunnelWireCommands.CreateConnect(),
        };
    }

    /// <summary>Writes a new key to <paramref name="file"/> (owner-only) or <paramref name="output"/>.</summary>
    public static int Keygen(FileInfo? file, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        TunnelKey key = TunnelKey.Generate();
        if (file is null)
        {
            output.WriteLine(key.Format());
            return (int)ExitCode.Ok;
        }

        CredentialFiles.WriteText(file, key.Format() + Environment.NewLine, "key", secret: true);
        output.WriteLine($"wrote a new tunnel key to {file.FullName} (fingerprint {key.Fingerprint()}); copy it to the other end over a safe channel");
        return (int)ExitCode.Ok;
    }

    /// <summary>
    /// Writes a new client certificate to <paramref name="prefix"/>.crt and its private key to <paramref name="prefix"/>.key
    /// (owner-only), neither over an existing file unless <paramref name="force"/>; prints what it wrote and, last, the line
    /// for the server's allow file: the fingerprint and <paramref name="name"/> (default: the prefix's file name).
    /// </summary>
    public static int Certgen(FileInfo prefix, string? name, bool force, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(output);
        name ??= prefix.Name;
        if (name.Length is 0 or > MaxCertificateName || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new RelayToolException(ExitCode.Usage,
                $"'{Log.Escape(name, 80)}' cannot name a certificate: give --name with 1-{MaxCertificateName} letters, digits, '.', '_' or '-'");
        }

        var (certificateFile, keyFile) = CheckPairFree(prefix, force);
        using X509Certificate2 certificate = TunnelCertificates.CreateSelfSigned(name);
        WritePair(certificate, certificateFile, keyFile, force);
        output.WriteLine($"wrote a TLS client certificate for {name} to {certificateFile.FullName} and its private key to {keyFile.FullName} " +
            "(keep the key to yourself: it is who you are to the server)");
        output.WriteLine("the server lets it in with this line in its allow file (relay tunnel serve --tls-client-allow FILE):");
        output.WriteLine($"{TunnelCertificates.Fingerprint(certificate)}  {name}");
        return (int)ExitCode.Ok;
    }

    /// <summary>
    /// Writes a new server certificate for <paramref name="hostNames"/> (host names or addresses; the first is its subject)
    /// to <paramref name="prefix"/>.crt and its private key to <paramref name="prefix"/>.key (owner-only), neither over an
    /// existing file unless <paramref name="force"/>; prints what it wrote and, last, its fingerprint for clients' --tls-pin.
    /// </summary>
    public static int CertgenServer(FileInfo prefix, IReadOnlyList<string> hostNames, bool force, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(hostNames);
        ArgumentNullException.ThrowIfNull(output);
        if (hostNames.FirstOrDefault(n => !TunnelCertificates.IsHostName(n)) is { } bad)
        {
            throw new RelayToolException(ExitCode.Usage,
                $"'{Log.Escape(bad, 80)}' is not a host name or an address for --name (examples: gateway.example.org, 192.0.2.7, 2001:db8::7)");
        }

        var (certificateFile, keyFile) = CheckPairFree(prefix, force);
        using X509Certificate2 certificate = TunnelCertificates.CreateSelfSignedServer(hostNames);
        WritePair(certificate, certificateFile, keyFile, force);
        output.WriteLine($"wrote a TLS server certificate for {string.Join(", ", hostNames)} to {certificateFile.FullName} and its private key to " +
            $"{keyFile.FullName}; serve with --tls-cert {certificateFile.FullName} --tls-key {keyFile.FullName}");
        output.WriteLine("clients pin it (it stays the same across restarts) with:");
        output.WriteLine($"--tls-pin {TunnelCertificates.Fingerprint(certificate)}");
        return (int)ExitCode.Ok;
    }

    /// <summary>
    /// The name a server certificate gets when none is given (<c>certgen --server</c> without --name, <c>serve
    /// --tls-self-signed</c>): this machine's host name, when it is a valid DNS name; else "localhost" (a name such as
    /// "my box" is no DNS name, and a client checking the certificate's name would refuse it anyway).
    /// </summary>
    internal static string DefaultHostName() => DefaultHostName(Dns.GetHostName());

    /// <summary><see cref="DefaultHostName()"/> for <paramref name="machineName"/> as <see cref="Dns.GetHostName"/> gives it (tests: any name).</summary>
    internal static string DefaultHostName(string? machineName) =>
        machineName is not null && TunnelCertificates.IsHostName(machineName) ? machineName : "localhost";

    /// <summary>PREFIX.crt and PREFIX.key, refused when either exists unless <paramref name="force"/>.</summary>
    private static (FileInfo Certificate, FileInfo Key) CheckPairFree(FileInfo prefix, bool force)
    {
        var certificateFile = new FileInfo(prefix.FullName + ".crt");
        var keyFile = new FileInfo(prefix.FullName + ".key");
        if (!force && new[] { certificateFile, keyFile }.FirstOrDefault(f => f.Exists) is { } existing)
        {
            throw new RelayToolException(ExitCode.Usage, $"{existing.FullName} exists; choose another --out, or add --force to replace it");
        }

        return (certificateFile, keyFile);
    }

    /// <summary>Writes the private key (mode 600), then the certificate; no key is left behind without its certificate.</summary>
    private static void WritePair(X509Certificate2 certificate, FileInfo certificateFile, FileInfo keyFile, bool force)
    {
        using ECDsa key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("a new self-signed certificate has no ECDSA key");
        CredentialFiles.WriteText(keyFile, key.ExportPkcs8PrivateKeyPem() + "\n", "private key", secret: true, overwrite: force);
        try
        {
            CredentialFiles.WriteText(certificateFile, certificate.ExportCertificatePem() + "\n", "certificate", secret: false, overwrite: force);
        }
        catch (RelayToolException)
        {
            keyFile.Delete(); // no key without its certificate
            throw;
        }
    }

    /// <summary>Prints the protocol version, LZ4's state and its saving on a sample batch of spike packets.</summary>
    public static int Info(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine("tunnel protocol: FSRT version 1 over TCP or TLS (docs/tunnel-protocol.md)");
        if (!Lz4.IsAvailable)
        {
            output.WriteLine("liblz4: not available; batches are sent uncompressed (install liblz4-1)");
            return (int)ExitCode.Ok;
        }

        string linkage = Lz4.LoadedFrom is { } file ? $"loaded at run time from {file}" : "linked into the binary";
        output.WriteLine($"liblz4: {Lz4.Version}, {linkage}");
        byte[] records = SampleSpikeBatch();
        var block = new byte[records.Length];
        int compressed = Lz4.TryCompress(records, block.AsSpan(0, records.Length - 1));
        double saving = compressed > 0 ? 1 - ((double)compressed / records.Length) : 0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sample batch (62 EIEIO packets of 64 keys): {records.Length} B -> {(compressed > 0 ? compressed : records.Length)} B with LZ4 ({saving:P1} saved)"));
        return (int)ExitCode.Ok;
    }

    /// <summary>One 16 KiB batch of live-output packets: keys from a population of 1,000 spiking in turn.</summary>
    private static byte[] SampleSpikeBatch()
    {
        const int Packets = 62;
        const int Keys = 64;
        var records = new byte[Packets * TunnelBatchRecords.RecordLength(2 + (4 * Keys))];
        Span<byte> packet = stackalloc byte[2 + (4 * Keys)];
        int offset = 0;
        for (int sequence = 0; sequence < Packets; sequence++)
        {
            packet[0] = Keys;
            packet[1] = 0x08; // EIEIO type 2: 32-bit keys
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(packet[2..], sequence);
            for (int i = 1; i < Keys; i++)
            {
                uint neuron = (uint)(((sequence * (Keys - 1)) + i) % 1000);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(packet[(2 + (4 * i))..], 0x0A000000u | neuron);
            }

            TunnelBatchRecords.TryWrite(records.AsSpan(offset), 2, packet, out int written);
            offset += written;
        }

        return records;
    }
}
