using System.CommandLine;
using System.Globalization;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Compression;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// <c>relay tunnel</c>: the authenticated, resumable tunnel (docs/tunnel-protocol.md). <c>keygen</c> makes the
/// pre-shared key both ends hold; <c>info</c> shows the protocol version and whether LZ4 batch compression works in
/// this binary. (Serving and connecting are wired to the UDP side in a later step.)
/// </summary>
public static class TunnelCommand
{
    private static readonly Option<FileInfo?> Out = new("--out", "-o")
    {
        Description = "Write the key to this file (created with mode 600, refused if it exists) instead of standard output.",
        HelpName = "FILE",
    };

    public static Command Create()
    {
        var keygen = new Command("keygen", "Print a new pre-shared key (32 random bytes as 64 hex digits) for both ends of a tunnel.") { Out };
        keygen.SetAction(parse => Keygen(parse.GetValue(Out), Console.Out));
        var info = new Command("info", "Show the tunnel protocol version and whether LZ4 batch compression is available, with its saving on a sample spike stream.");
        info.SetAction(_ => Info(Console.Out));
        return new Command("tunnel", "The authenticated, multiplexed, resumable tunnel between a relay server and a relay client.") { keygen, info };
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

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // the key is a secret: owner only
        }
        try
        {
            using var writer = new StreamWriter(file.FullName, options);
            writer.WriteLine(key.Format());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RelayToolException(ExitCode.Usage, $"cannot write the key to {file.FullName}: {ex.Message}");
        }

        output.WriteLine($"wrote a new tunnel key to {file.FullName} (fingerprint {key.Fingerprint()}); copy it to the other end over a safe channel");
        return (int)ExitCode.Ok;
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
