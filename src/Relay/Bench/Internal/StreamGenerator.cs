using System.Diagnostics;
using System.Net;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>
/// Sends stamped datagrams of one size to one address from a dedicated thread, in batches of up to 64 (one
/// sendmmsg each), at full speed or paced to a rate in small bursts against the Stopwatch (a nanosleep between
/// bursts, never one per datagram). Allocates nothing while sending.
/// </summary>
/// <remarks>
/// Threading: <see cref="Run"/> on one thread at a time (it owns the socket's send queue); <see cref="Sent"/>
/// and <see cref="RequestStop"/> from any thread.
/// </remarks>
internal sealed class StreamGenerator : IDisposable
{
    /// <summary>Sequence numbers of measured datagrams start here; lower ones are probes and warm-up.</summary>
    public const uint MeasuredBase = 0x8000_0000;

    private const int Burst = 64;

    private readonly UdpSocket _socket;
    private readonly UdpAddress _destination;
    private readonly byte[] _datagram;
    private long _sent;
    private int _stop;

    private readonly bool _spikeKeys;

    /// <param name="destination">Where every datagram goes.</param>
    /// <param name="size">Bytes per datagram (at least <see cref="BenchPayload.StampLength"/>).</param>
    /// <param name="spikeKeys">Fill the bytes after the stamp with the emulator's neuron keys (<see cref="BenchPayload.WriteSpikeKeys"/>) instead of fixed filler: a board's live output.</param>
    public StreamGenerator(UdpAddress destination, int size, bool spikeKeys = false)
    {
        _spikeKeys = spikeKeys;
        _destination = destination;
        _datagram = new byte[size];
        BenchPayload.Fill(_datagram);
        _socket = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { Name = "bench-generator" });
    }

    /// <summary>Datagrams handed to the kernel by the current or last <see cref="Run"/>.</summary>
    public long Sent => Volatile.Read(ref _sent);

    /// <summary>Datagrams the kernel accepted, all runs (the offered load is the difference over a phase).</summary>
    public long HandedToKernel => _socket.GetCounters().DatagramsOut;

    /// <summary>Datagrams the kernel refused (send buffer full), all runs.</summary>
    public long Drops => _socket.GetCounters().SendDrops;

    public void RequestStop() => Volatile.Write(ref _stop, 1);

    /// <summary>
    /// Sends until <paramref name="duration"/> has passed or <see cref="RequestStop"/> is called, numbering from
    /// <paramref name="firstSequence"/>. <paramref name="rate"/> is datagrams per second, 0 for full speed.
    /// </summary>
    public void Run(uint firstSequence, TimeSpan duration, long rate)
    {
        Volatile.Write(ref _stop, 0);
        Volatile.Write(ref _sent, 0);
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        // Paced: bursts of about 200 µs worth of datagrams (1 to 64), so the wake-ups stay near 5,000/s.
        var burst = rate <= 0 ? Burst : (int)Math.Clamp(rate / 5000, 1, Burst);
        long sent = 0;
        var sequence = firstSequence;
        while (Volatile.Read(ref _stop) == 0)
        {
            var now = Stopwatch.GetTimestamp();
            if (now >= end)
            {
                break;
            }

            var count = Burst;
            if (rate > 0)
            {
                var due = (long)((double)(now - start) * rate / Stopwatch.Frequency) - sent;
                if (due < burst)
                {
                    // Sleep until the next burst is due (the sleep is cut short by nothing; bursts are small).
                    var wait = (long)((double)(sent + burst) * Stopwatch.Frequency / rate) - (now - start);
                    BenchNative.Sleep(Math.Min(wait, end - now));
                    continue;
                }

                count = (int)Math.Min(due, Burst);
            }

            for (var i = 0; i < count; i++)
            {
                Stamp(now, sequence++);
                _socket.QueueSendTo(_datagram, _destination);
            }

            sent += count;
            Flush();
            Volatile.Write(ref _sent, sent);
        }

        Flush();
    }

    /// <summary>Sends one probe datagram now (sequence below <see cref="MeasuredBase"/>).</summary>
    public void Probe(uint sequence)
    {
        Stamp(Stopwatch.GetTimestamp(), sequence);
        _socket.SendTo(_datagram, _destination);
    }

    private void Stamp(long timestamp, uint sequence)
    {
        BenchPayload.TryStamp(_datagram, timestamp, sequence);
        if (_spikeKeys)
        {
            BenchPayload.WriteSpikeKeys(_datagram, sequence);
        }
    }

    public void Dispose() => _socket.Dispose();

    private void Flush()
    {
        // A full send buffer: give the receiver a moment and retry, so the queue never overflows and drops.
        for (var spins = 0; _socket.FlushSends() == UdpStatus.WouldBlock && spins < 10_000; spins++)
        {
            Thread.Yield();
        }
    }
}
