using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Bench.Protocol;
using FastSpinnRelay.Relay.Spalloc.Client.Internal;

namespace FastSpinnRelay.Bench.Spalloc;

/// <summary>
/// The per-datagram path of <c>relay spalloc connect</c> from a local application to the websocket, without sockets:
/// the loop thread writes each datagram as a MSG (SCP) or MSG_TO (live input) frame into the bounded outgoing queue,
/// and the websocket sender takes the queue as one buffer and walks its frames. Per operation: one datagram (64 per
/// invocation, as one UDP batch). Allocated must be 0 B.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class ProxyClientQueueBenchmarks
{
    private const int Batch = 64;
    private const int ScpRequestLength = 282;

    private readonly byte[] _request = new byte[ScpRequestLength];
    private readonly OutgoingFrames _queue = new(4 << 20);

    [GlobalSetup]
    public void Setup()
    {
        new Random(9).NextBytes(_request);
        SetupCheck.That(ForwardScpRequests() == Batch * (8 + ScpRequestLength));
        SetupCheck.That(ForwardLiveInput() == Batch * (20 + ScpRequestLength));
    }

    /// <summary>A batch of SCP requests queued as MSG frames, then taken by the sender and walked.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int ForwardScpRequests()
    {
        for (var i = 0; i < Batch; i++)
        {
            var frame = new MessageFrame(17, _request);
            _queue.TryAppend(frame.Length, frame);
        }

        return Drain();
    }

    /// <summary>A batch of live-input datagrams queued as MSG_TO frames, then taken by the sender and walked.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int ForwardLiveInput()
    {
        for (var i = 0; i < Batch; i++)
        {
            var frame = new MessageToFrame(3, 0, 0, 12345, _request);
            _queue.TryAppend(frame.Length, frame);
        }

        return Drain();
    }

    private int Drain()
    {
        var (buffer, length) = _queue.Take();
        var bytes = 0;
        for (var offset = 0; offset < length;)
        {
            offset = OutgoingFrames.Next(buffer, offset, out var frame);
            bytes += frame.Length;
        }

        _queue.Return(buffer);
        return bytes;
    }
}
