using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Bench.Udp;

/// <summary>
/// Loopback cost of the UDP engine, per datagram (each op moves a batch of 64 SCP-sized datagrams):
/// <list type="bullet">
/// <item><see cref="SendBatchThenReceiveBatch"/>: A queues 64 and flushes (one sendmmsg), B reads them
/// (recvmmsg, normally one call) — the syscall floor of one hop, on one thread.</item>
/// <item><see cref="ForwardBatchThroughLoop"/>: A sends 64 to a <see cref="UdpEventLoop"/> socket whose
/// receiver queues them to B; the benchmark thread waits for B and reads them. Includes two cross-thread
/// wake-ups per batch (loop wakes on A's batch, benchmark thread wakes on the forwarded batch).</item>
/// </list>
/// <see cref="Portable"/> = true forces Socket calls and Socket.Select instead of recvmmsg/sendmmsg/epoll.
/// Allocated must be 0 B: MemoryDiagnoser counts every thread, so the loop thread is included.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class UdpLoopbackBenchmarks
{
    private const int Batch = 64;
    private const int PayloadBytes = 282; // the largest SCP packet

    private readonly byte[] _payload = new byte[PayloadBytes];
    private UdpSocket _a = null!;
    private UdpSocket _b = null!;
    private UdpSocket _loopSocket = null!;
    private UdpEventLoop _loop = null!;
    private DatagramBatch _batch = null!;

    [Params(false, true)]
    public bool Portable { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new UdpSocketOptions { UsePortableIo = Portable };
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        _a = new UdpSocket(loopback, options);
        _b = new UdpSocket(loopback, options);
        _loopSocket = new UdpSocket(loopback, options);
        _batch = new DatagramBatch(Batch);
        _loop = new UdpEventLoop(new UdpEventLoopOptions { UsePortablePoller = Portable, Name = "bench-loop" });
        if (!_loop.Register(_loopSocket, new Forwarder(_loopSocket, _b.LocalAddress)))
        {
            throw new InvalidOperationException("Could not register the forwarding socket.");
        }

        for (var i = 0; i < _payload.Length; i++)
        {
            _payload[i] = (byte)i;
        }

        // Check the paths deliver what was sent before timing them.
        SendBatchThenReceiveBatch();
        Verify();
        ForwardBatchThroughLoop();
        Verify();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _loop.Dispose();
        _loopSocket.Dispose();
        _a.Dispose();
        _b.Dispose();
        _batch.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int SendBatchThenReceiveBatch()
    {
        for (var i = 0; i < Batch; i++)
        {
            _a.QueueSendTo(_payload, _b.LocalAddress);
        }

        _a.FlushSends();
        return ReceiveBatch(waitMicroseconds: 0);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int ForwardBatchThroughLoop()
    {
        for (var i = 0; i < Batch; i++)
        {
            _a.QueueSendTo(_payload, _loopSocket.LocalAddress);
        }

        _a.FlushSends();
        return ReceiveBatch(waitMicroseconds: 1_000);
    }

    /// <summary>Reads until all 64 arrived; gives up (and fails the run) after ~1 s of nothing, i.e. on loss.</summary>
    private int ReceiveBatch(int waitMicroseconds)
    {
        var received = 0;
        var idle = 0;
        while (received < Batch)
        {
            if (_b.Receive(_batch) == UdpStatus.Ok)
            {
                received += _batch.Count;
                idle = 0;
            }
            else if (waitMicroseconds == 0 || !_b.NetSocket.Poll(waitMicroseconds, SelectMode.SelectRead))
            {
                if (++idle > 1_000)
                {
                    throw new InvalidOperationException($"Lost datagrams: {received} of {Batch} arrived.");
                }
            }
        }

        return received;
    }

    private void Verify()
    {
        if (_batch.Count == 0 || !_batch.GetPayload(_batch.Count - 1).SequenceEqual(_payload))
        {
            throw new InvalidOperationException("The datagram received is not the one sent.");
        }
    }

    private sealed class Forwarder(UdpSocket output, UdpAddress to) : IUdpReceiver
    {
        public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                output.QueueSendTo(batch.GetPayload(i), to);
            }
        }
    }
}
