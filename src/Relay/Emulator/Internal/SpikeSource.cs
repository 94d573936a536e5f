using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Eieio;
using FastSpinnRelay.Protocol.Sdp;

namespace FastSpinnRelay.Relay.Emulator.Internal;

/// <summary>
/// The board's live output, as a live packet gatherer plus SC&amp;MP would send it: EIEIO data packets with 32-bit
/// keys, from the SCP socket (board output leaves from port 17893) to the destination of IP tag
/// <see cref="EmulatorOptions.SpikeTag"/> (or <see cref="EmulatorOptions.SpikeDestination"/> until that tag is
/// set), at <see cref="EmulatorOptions.SpikeRate"/> packets/s. A STRIP tag (or the fallback destination) gets the
/// bare EIEIO packet; a tag without STRIP gets pad + SDP header in front, as a real board sends it.
/// Key 0 of every packet is its 32-bit sequence number (continuing across stop and start), so a receiver can
/// count loss with <see cref="SpikeSequenceTracker"/>. One background thread while running; no allocation per
/// packet.
/// </summary>
internal sealed class SpikeSource : IDisposable
{
    /// <summary>Neuron keys are this base OR'd with the neuron index (populations are at most 2^24 neurons).</summary>
    public const uint PopulationBaseKey = 0x0100_0000;

    /// <summary>EIEIO data header: 2 bytes (count, then the flag byte).</summary>
    public const int EieioHeaderLength = 2;

    /// <summary>Most packets sent back to back before the loop looks at the clock and the stop flag again.</summary>
    private const int MaxBurst = 32;

    private readonly Socket socket;
    private readonly IpTagTable tags;
    private readonly EmulatorOptions options;
    private readonly EmulatorCounters counters;
    private readonly int keyCount;
    private readonly Lock gate = new();
    private Thread? thread;
    private volatile bool stopping;
    private uint nextSequence;

    public SpikeSource(Socket socket, IpTagTable tags, EmulatorOptions options, EmulatorCounters counters)
    {
        this.socket = socket;
        this.tags = tags;
        this.options = options;
        this.counters = counters;
        keyCount = KeyCount(options.SpikePacketSize);
    }

    /// <summary>True while the source thread runs (it ends by itself after <see cref="EmulatorOptions.SpikeLimit"/> packets).</summary>
    public bool IsRunning => thread?.IsAlive == true;

    /// <summary>Keys per packet: <see cref="EmulatorOptions.SpikePacketSize"/> rounded down to 2 + 4·k (k ≤ 255).</summary>
    public static int KeyCount(int packetSize) => Math.Clamp((packetSize - EieioHeaderLength) / sizeof(uint), 1, byte.MaxValue);

    /// <summary>Starts sending (a no-op while already running); each run sends up to <see cref="EmulatorOptions.SpikeLimit"/> packets.</summary>
    public void Start()
    {
        lock (gate)
        {
            if (IsRunning)
            {
                return;
            }

            stopping = false;
            thread = new Thread(Run) { IsBackground = true, Name = "emulator spike source" };
            thread.Start();
        }
    }

    /// <summary>Stops sending and waits (bounded) for the thread.</summary>
    public void Stop()
    {
        Thread? t;
        lock (gate)
        {
            stopping = true;
            t = thread;
        }

        t?.Join(TimeSpan.FromSeconds(2));
    }

    public void Dispose() => Stop();

    /// <summary>
    /// Writes one packet: the EIEIO header, key 0 = <paramref name="sequence"/>, then <paramref name="keyCount"/> − 1
    /// neuron keys <c>base | ((sequence·(k−1) + i) mod population)</c>: a population firing in turn, so a stream is
    /// realistic and compresses like real output. Returns the length, 2 + 4·<paramref name="keyCount"/>.
    /// </summary>
    public static int WritePacket(Span<byte> destination, uint sequence, int keyCount, int population)
    {
        if (!EieioDataWriter.TryCreate(destination, Format, out var writer) || !writer.TryAddKey(sequence))
        {
            CallerBugDestinationTooSmall(destination.Length, keyCount);
        }

        for (var i = 1; i < keyCount; i++)
        {
            if (!writer.TryAddKey(NeuronKey(sequence, keyCount - 1, i - 1, population)))
            {
                CallerBugDestinationTooSmall(destination.Length, keyCount);
            }
        }

        return writer.Length;
    }

    /// <summary>
    /// Neuron key <paramref name="index"/> of packet <paramref name="sequence"/> when each packet carries
    /// <paramref name="perPacket"/> neuron keys: <c>base | ((sequence·perPacket + index) mod population)</c>.
    /// </summary>
    public static uint NeuronKey(uint sequence, int perPacket, int index, int population) =>
        PopulationBaseKey | (uint)(((ulong)sequence * (ulong)perPacket + (ulong)index) % (ulong)population);

    /// <summary>Type 2 (32-bit keys), no prefix, no payload, no timestamp: what a live packet gatherer emits.</summary>
    private static readonly EieioDataFormat Format = new(EieioType.Key32);

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void CallerBugDestinationTooSmall(int length, int keyCount) =>
        throw new ArgumentException($"a {keyCount}-key spike packet does not fit in {length} bytes", "destination");

    private void Run()
    {
        var buffer = new byte[SdpConstants.UdpHeaderLength + EieioHeaderLength + (byte.MaxValue * sizeof(uint))];
        var limit = options.SpikeLimit;
        var rate = options.SpikeRate;
        var fallback = options.SpikeDestination?.Serialize();
        long sent = 0;
        var epoch = Stopwatch.GetTimestamp();
        long sentAtEpoch = 0;
        while (!stopping && (limit == 0 || sent < limit))
        {
            var tag = tags.Get(options.SpikeTag);
            var tagDestination = tag?.DestinationAddress;
            var destination = tagDestination ?? fallback;
            if (destination is null)
            {
                // Nowhere to send yet (the host has not set the tag): wait without using sequence numbers.
                Thread.Sleep(10);
                epoch = Stopwatch.GetTimestamp();
                sentAtEpoch = sent;
                continue;
            }

            var now = Stopwatch.GetTimestamp();
            var due = (long)((now - epoch) * rate / Stopwatch.Frequency) - (sent - sentAtEpoch);
            if (due <= 0)
            {
                Thread.Sleep(1);
                continue;
            }

            if (due > rate + MaxBurst)
            {
                // More than a second behind (the machine stalled): carry on at the rate instead of bursting.
                epoch = now;
                sentAtEpoch = sent;
                due = 1;
            }

            var strip = tagDestination is null || tag!.Strip;
            var burst = (int)Math.Min(Math.Min(due, MaxBurst), limit == 0 ? MaxBurst : limit - sent);
            for (var i = 0; i < burst; i++)
            {
                SendOne(buffer, destination, strip, tag);
                sent++;
            }
        }
    }

    private void SendOne(byte[] buffer, SocketAddress destination, bool strip, IpTag? tag)
    {
        var offset = strip ? 0 : SdpConstants.UdpHeaderLength;
        var length = WritePacket(buffer.AsSpan(offset), nextSequence++, keyCount, options.SpikePopulation);
        if (!strip)
        {
            WriteSdpHeader(buffer, (byte)options.SpikeTag);
        }

        try
        {
            socket.SendTo(buffer.AsSpan(0, offset + length), SocketFlags.None, destination);
            counters.CountSpikePacket();
            tag?.CountOne();
        }
        catch (SocketException)
        {
            counters.CountSpikeSendFailure();
        }
        catch (ObjectDisposedException)
        {
            stopping = true;
        }
    }

    /// <summary>Pad + SDP header of live output from core 1 of chip (0, 0) to the host through <paramref name="tag"/>.</summary>
    private static void WriteSdpHeader(Span<byte> buffer, byte tag)
    {
        var header = new SdpHeader(
            SdpConstants.FlagsNoReply, tag, SdpConstants.PortCpuEthernet, SdpPortCpu.Encode(1, 1), 0, 0, 0, 0);
        SdpDatagram.TryWrite(buffer, header, [], out _);
    }
}
