using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using FastSpinnRelay.Protocol.Boot;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Emulator.Internal;

/// <summary>
/// The boot port of the emulated board: feeds boot packets to a <see cref="BootImageAssembler"/> and turns the
/// board "booted" <see cref="EmulatorOptions.BootSettleTime"/> after a complete END. A new START makes it
/// unbooted again until that boot completes. Packets arrive on the boot thread; state is read from any thread.
/// </summary>
internal sealed class BootReceiver
{
    private const string Component = "emulator boot";

    private readonly BootImageAssembler assembler = new();
    private readonly Lock gate = new();
    private readonly long settleTicks;
    private readonly EmulatorCounters counters;
    private readonly LogLevel eventLevel;
    private byte[] image = [];
    private string? imageSha256;

    /// <summary>Stopwatch timestamp from which VER reports booted; 0 = not booted.</summary>
    private long bootedAtTicks;

    public BootReceiver(TimeSpan settleTime, EmulatorCounters counters, LogLevel eventLevel)
    {
        settleTicks = (long)(settleTime.TotalSeconds * Stopwatch.Frequency);
        this.counters = counters;
        this.eventLevel = eventLevel;
    }

    /// <summary>True once a boot completed and the settle time has passed (and no new START came since).</summary>
    public bool IsBooted
    {
        get
        {
            var at = Volatile.Read(ref bootedAtTicks);
            return at != 0 && Stopwatch.GetTimestamp() >= at;
        }
    }

    /// <summary>SHA-256 (lower-case hex) of the last completed image, or null.</summary>
    public string? ImageSha256
    {
        get
        {
            lock (gate)
            {
                return imageSha256;
            }
        }
    }

    /// <summary>A copy of the last completed image (empty before the first).</summary>
    public byte[] CopyImage()
    {
        lock (gate)
        {
            return image.AsSpan().ToArray();
        }
    }

    /// <summary>Handles one datagram from the boot port (on the boot thread).</summary>
    public void OnDatagram(ReadOnlySpan<byte> datagram, SocketAddress sender)
    {
        counters.CountBootPacket();
        var error = BootPacket.TryRead(datagram, out var packet);
        if (error != BootError.None)
        {
            counters.CountBootMalformed(error);
            return;
        }

        BootAssemblyResult result;
        lock (gate)
        {
            result = assembler.Accept(packet);
            if (result is BootAssemblyResult.Started or BootAssemblyResult.Restarted)
            {
                Volatile.Write(ref bootedAtTicks, 0);
            }
            else if (result == BootAssemblyResult.Completed)
            {
                image = assembler.Image.ToArray();
                imageSha256 = Convert.ToHexStringLower(SHA256.HashData(image));
                Volatile.Write(ref bootedAtTicks, Stopwatch.GetTimestamp() + settleTicks);
            }
        }

        counters.CountBootResult(result);
        if (result == BootAssemblyResult.Completed && Log.IsEnabled(eventLevel))
        {
            var blocks = BootImage.BlockCount(image.Length);
            Log.Write(
                eventLevel, Component,
                string.Create(CultureInfo.InvariantCulture, $"boot image complete from {SocketAddresses.ToEndPoint(sender)}: {image.Length} bytes in {blocks} blocks, sha256 {imageSha256}"));
        }
        else if (result == BootAssemblyResult.Restarted && Log.IsEnabled(eventLevel))
        {
            Log.Write(eventLevel, Component, "boot restarted by a new START; the board is unbooted until it completes");
        }
    }
}
