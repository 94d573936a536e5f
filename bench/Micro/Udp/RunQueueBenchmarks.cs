using System.Net;
using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Bench.Protocol;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Bench.Udp;

/// <summary>
/// The user-space cost of the tunnel client's live output, per datagram: a batch's records (256 EIEIO-sized datagrams
/// for one channel) validated, walked and queued for one visualiser, then flushed to an I/O stub that takes every
/// message without a syscall (so the kernel's share, the same for both, does not drown the difference).
/// <see cref="QueueEach"/> queues datagram by datagram (<see cref="UdpSocket.QueueSendTo"/>: the destination compared
/// per datagram); <see cref="QueueRun"/> hands the walk to <see cref="UdpSocket.QueueSendRunTo{TSource}"/>.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class RunQueueBenchmarks
{
    private const int Records = 256;

    private byte[] _records = [];
    private UdpSocket _socket = null!;
    private UdpAddress _visualiser;

    [Params(24)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int recordLength = TunnelBatchRecords.RecordLength(Size);
        _records = new byte[Records * recordLength];
        var datagram = new byte[Size];
        for (int i = 0; i < Records; i++)
        {
            datagram.AsSpan().Fill((byte)i);
            SetupCheck.That(TunnelBatchRecords.TryWrite(_records.AsSpan(i * recordLength), 1, datagram, out _));
        }

        _socket = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions(), io => new TakeAllIo(io));
        _visualiser = _socket.LocalAddress;
        SetupCheck.That(QueueEach() == Records && QueueRun() == Records);
        SetupCheck.That(_socket.GetCounters().DatagramsOut == 2 * Records);
    }

    [GlobalCleanup]
    public void Cleanup() => _socket.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Records)]
    public int QueueEach()
    {
        if (TunnelBatchRecords.Validate(_records) != TunnelFrameError.None)
        {
            return 0;
        }

        var walk = TunnelBatchRecords.Enumerate(_records);
        int ok = 0;
        while (walk.MoveNext())
        {
            ok += _socket.QueueSendTo(walk.Datagram, _visualiser) == UdpStatus.Ok ? 1 : 0;
        }

        _socket.FlushSends();
        return ok;
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public int QueueRun()
    {
        if (TunnelBatchRecords.Validate(_records) != TunnelFrameError.None)
        {
            return 0;
        }

        var source = new Walk(TunnelBatchRecords.Enumerate(_records));
        int ok = _socket.QueueSendRunTo(ref source, _visualiser);
        _socket.FlushSends();
        return ok;
    }

    /// <summary>The batch's own part: validated, then walked (what both ways above include).</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public int ValidateAndWalk()
    {
        if (TunnelBatchRecords.Validate(_records) != TunnelFrameError.None)
        {
            return 0;
        }

        var walk = TunnelBatchRecords.Enumerate(_records);
        int bytes = 0;
        while (walk.MoveNext())
        {
            bytes += walk.Datagram.Length;
        }

        return bytes;
    }

    private ref struct Walk(TunnelBatchRecordEnumerator walk) : IUdpDatagramSource
    {
        private TunnelBatchRecordEnumerator _walk = walk;

        public bool TryNext(out ReadOnlySpan<byte> datagram)
        {
            bool more = _walk.MoveNext();
            datagram = more ? _walk.Datagram : default;
            return more;
        }
    }

    /// <summary>A kernel that takes every message at once: the benchmark measures the queueing, not the stack.</summary>
    private sealed class TakeAllIo(DatagramIo inner) : DatagramIo
    {
        public override bool IsNative => inner.IsNative;

        public override bool Segmentation => true;

        public override IoResult Receive(MessageBuffer buffer) => inner.Receive(buffer);

        public override IoResult SendBatch(MessageBuffer buffer, int start, int count) => IoResult.Done(count);

        public override IoResult SendOne(ReadOnlySpan<byte> payload, in UdpAddress destination) => IoResult.Done(1);
    }
}
