using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastSpinnRelay.Protocol.Eieio;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;

namespace FastSpinnRelay.Relay.Demo;

/// <summary>
/// `relay demo`: starts an emulated board and drives it as a host tool would — version probe, boot, memory
/// write/read, timed SCP round trips, a live spike stream — printing one line per step with what was measured.
/// Every step checks its result; the run fails (false) if any step does.
/// </summary>
public sealed class DemoRunner(DemoOptions options, TextWriter output)
{
    /// <summary>Where the demo's memory test writes: the start of SDRAM on a SpiNNaker chip.</summary>
    private const uint SdramBase = 0x6000_0000;

    private const int SpikeTag = 1;
    private const int SpikePacketSize = 258;

    private int failures;

    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        using var board = new BoardEmulator(new EmulatorOptions
        {
            ScpPort = 0,
            BootPort = 0,
            SpikeTag = SpikeTag,
            SpikeRate = options.SpikeRate,
            SpikeLimit = options.SpikePackets,
            SpikePacketSize = SpikePacketSize,
        });
        await using var path = await DemoPath.StartAsync(options.Via, board, cancellationToken).ConfigureAwait(false);
        output.WriteLine($"relay demo: an emulated SpiNNaker board on {board.ScpEndPoint} (SCP) and {board.BootEndPoint} (boot), {path.Description}");
        output.WriteLine();

        using var scp = new ScpClient(path.ScpEndPoint);
        await StepAsync("version before boot", () => Describe(scp.Version())).ConfigureAwait(false);
        await StepAsync("boot", () => BootAsync(board, path.BootEndPoint, scp, cancellationToken)).ConfigureAwait(false);
        await StepAsync("memory write + read", () => WriteAndRead(scp)).ConfigureAwait(false);
        await StepAsync("SCP round trips", () => RoundTrips(scp)).ConfigureAwait(false);
        await StepAsync("live spike stream", () => Spikes(board, scp, cancellationToken)).ConfigureAwait(false);

        output.WriteLine();
        output.WriteLine(failures == 0
            ? "relay demo: all steps passed"
            : $"relay demo: {failures} step(s) FAILED");
        output.WriteLine($"board counters: {board.Counters}");
        return failures == 0;
    }

    private static string Describe(BoardVersion v) =>
        $"{v.Name} {v.Version} at ({v.X},{v.Y}): {(v.IsBooted ? "booted" : "not booted")}";

    private async Task<string> BootAsync(BoardEmulator board, IPEndPoint bootPort, ScpClient scp, CancellationToken ct)
    {
        var image = BootSender.CreateSyntheticImage(seed: 2026);
        using var sender = new BootSender(bootPort) { Gap = options.BootGap };
        var clock = Stopwatch.StartNew();
        var packets = await sender.SendAsync(image, ct).ConfigureAwait(false);
        var sent = clock.Elapsed;

        // Like rig and spinnman, probe with VER until the board says it is up (bounded). A relay may still be
        // pacing the last boot packets towards the board.
        BoardVersion version;
        var deadline = Stopwatch.StartNew();
        while (!(version = scp.Version()).IsBooted)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new DemoStepException("the board did not report booted within 10 s of the END packet");
            }

            await Task.Delay(10, ct).ConfigureAwait(false);
        }

        var booted = clock.Elapsed;

        var expected = Convert.ToHexString(SHA256.HashData(image));
        if (!string.Equals(board.BootImageSha256, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new DemoStepException($"the board assembled a different image (SHA-256 {board.BootImageSha256}, sent {expected})");
        }

        return $"{image.Length:N0}-byte image as {packets} packets sent in {Ms(sent)} (gap {Ms(options.BootGap)}), " +
               $"board booted after {Ms(booted)}; image SHA-256 matches; board now at ({version.X},{version.Y})";
    }

    private string WriteAndRead(ScpClient scp)
    {
        var data = new byte[options.MemoryBytes];
        new Random(7).NextBytes(data);
        var back = new byte[data.Length];
        var retriesBefore = scp.Retransmissions;
        var clock = Stopwatch.StartNew();
        scp.Write(SdramBase, data);
        var written = clock.Elapsed;
        scp.Read(SdramBase, back);
        var total = clock.Elapsed;
        if (!data.AsSpan().SequenceEqual(back))
        {
            throw new DemoStepException("memory read back differs from what was written");
        }

        var commands = (data.Length + ScpClient.MaxChunk - 1) / ScpClient.MaxChunk;
        return $"{data.Length:N0} bytes at 0x{SdramBase:X8}: {commands} WRITEs in {Ms(written)}, {commands} READs in {Ms(total - written)} " +
               $"({Rate(2.0 * data.Length / total.TotalSeconds / 1e6)} MB/s), identical, {scp.Retransmissions - retriesBefore} retries";
    }

    private string RoundTrips(ScpClient scp)
    {
        var latencies = new double[options.ScpRequests];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < latencies.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            scp.Version();
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        var elapsed = clock.Elapsed;
        Array.Sort(latencies);
        return $"{latencies.Length:N0} VER one at a time in {Ms(elapsed)}: {Rate(latencies.Length / elapsed.TotalSeconds)}/s, " +
               $"latency p50 {Us(Percentile(latencies, 0.50))} p99 {Us(Percentile(latencies, 0.99))}";
    }

    private string Spikes(BoardEmulator board, ScpClient scp, CancellationToken ct)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 4 * 1024 * 1024,
            ReceiveTimeout = 200,
        };
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var local = (IPEndPoint)listener.LocalEndPoint!;
        scp.SetIpTag(SpikeTag, local.Address, local.Port, strip: true);

        var tracker = new SpikeSequenceTracker();
        long spikes = 0, bytes = 0, malformed = 0;
        var buffer = new byte[2048];
        var budget = TimeSpan.FromSeconds((options.SpikePackets / options.SpikeRate) + 3);
        var clock = Stopwatch.StartNew();
        TimeSpan lastArrival = default;
        board.StartSpikes();
        try
        {
            while (tracker.Received < options.SpikePackets && clock.Elapsed < budget && !ct.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = listener.Receive(buffer);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
                {
                    if (tracker.Received > 0 && !board.IsSpiking)
                    {
                        break; // the source is done and nothing more is in flight
                    }

                    continue;
                }

                lastArrival = clock.Elapsed;
                if (EieioDataPacket.TryRead(buffer.AsSpan(0, n), out var packet) != EieioDataError.None || packet.Count == 0)
                {
                    malformed++;
                    continue;
                }

                tracker.Observe(packet.GetKey(0));
                spikes += packet.Count - 1; // key 0 is the packet's sequence stamp
                bytes += n;
            }
        }
        finally
        {
            board.StopSpikes();
        }

        var seconds = Math.Max(lastArrival.TotalSeconds, 1e-6);
        var summary = $"IP tag {SpikeTag} -> {local} (STRIP); {tracker.Received:N0} of {options.SpikePackets:N0} packets " +
                      $"at {Rate(tracker.Received / seconds)}/s ({Rate(bytes / seconds / 1e6)} MB/s, {Rate(spikes / seconds / 1e6)} M spikes/s); " +
                      $"lost {tracker.Lost}, duplicated {tracker.Duplicated}, reordered {tracker.Reordered}, malformed {malformed}";
        if (tracker.Received < options.SpikePackets || tracker.Lost > 0 || tracker.Duplicated > 0 || malformed > 0)
        {
            throw new DemoStepException(summary);
        }

        return summary;
    }

    private Task StepAsync(string name, Func<string> step) => StepAsync(name, () => Task.FromResult(step()));

    /// <summary>Runs one step and prints its line; a failed check marks the run failed but the next steps still run.</summary>
    private async Task StepAsync(string name, Func<Task<string>> step)
    {
        string line;
        bool ok;
        try
        {
            line = await step().ConfigureAwait(false);
            ok = true;
        }
        catch (Exception e) when (e is DemoStepException or ScpClientException or SocketException)
        {
            line = e.Message;
            ok = false;
        }

        if (!ok)
        {
            failures++;
        }

        output.WriteLine($"  {(ok ? "ok  " : "FAIL")} {name,-20} {line}");
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    private static string Us(double us) => us.ToString("0", CultureInfo.InvariantCulture) + " us";

    private static string Rate(double value) => value.ToString(value >= 100 ? "N0" : "0.00", CultureInfo.InvariantCulture);
}

/// <summary>A demo step's check failed; the message says what was expected and what happened.</summary>
public sealed class DemoStepException(string message) : Exception(message);
