using System.Diagnostics;
using System.Net;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>
/// The end of a one-way stream: a socket on its own <see cref="UdpEventLoop"/> (recvmmsg batches of 64) that reads
/// each datagram's stamp, records one-way latency for measured datagrams (sequence at or above
/// <see cref="StreamGenerator.MeasuredBase"/>) and tracks loss, duplication and reordering. Allocates nothing
/// per datagram.
/// </summary>
/// <remarks>
/// Threading: the receiver runs on the sink's loop thread. <see cref="Received"/> is readable from any thread;
/// the histogram and tracker only after <see cref="Dispose"/> has stopped the loop.
/// </remarks>
internal sealed class StreamSink : IUdpReceiver, IDisposable
{
    private static readonly double NanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    private readonly UdpEventLoop _loop;
    private readonly UdpSocket _socket;
    private long _received;
    private long _malformed;

    public StreamSink()
    {
        _socket = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { Name = "bench-sink" });
        _loop = new UdpEventLoop(new UdpEventLoopOptions { Name = "bench-sink" });
        if (!_loop.Register(_socket, this))
        {
            throw new InvalidOperationException("The sink's loop stopped before it started.");
        }
    }

    /// <summary>Where the stream must arrive.</summary>
    public UdpAddress Address => _socket.LocalAddress;

    /// <summary>Every datagram received, probes and warm-up included. Any thread.</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>Datagrams too short to carry a stamp.</summary>
    public long Malformed => Volatile.Read(ref _malformed);

    /// <summary>One-way latency of measured datagrams (ns). Read after <see cref="Dispose"/>.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Measured sequence numbers (relative to the base). Read after <see cref="Dispose"/>.</summary>
    public SequenceTracker Sequences { get; } = new();

    public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
    {
        var now = Stopwatch.GetTimestamp();
        for (var i = 0; i < batch.Count; i++)
        {
            if (!BenchPayload.TryRead(batch.GetPayload(i), out var sent, out var sequence))
            {
                Volatile.Write(ref _malformed, _malformed + 1);
                continue;
            }

            if (sequence >= StreamGenerator.MeasuredBase)
            {
                Sequences.Observe(sequence - StreamGenerator.MeasuredBase);
                Latency.Record((long)((now - sent) * NanosecondsPerTick));
            }
        }

        Volatile.Write(ref _received, _received + batch.Count);
    }

    /// <summary>Stops the loop (joining its thread, so the results are safe to read) and closes the socket.</summary>
    public void Dispose()
    {
        _loop.Dispose();
        _socket.Dispose();
    }
}
