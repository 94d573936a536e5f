using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Bench.Protocol;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Tunnel.Legacy;
using FastSpinnRelay.Tunnel.Legacy.Internal;

namespace FastSpinnRelay.Bench.Classic;

/// <summary>
/// The framed TCP path of the classic relay without sockets, per datagram (64 SCP-sized datagrams per op):
/// <see cref="Encode"/> is what the UDP loop does towards TCP (append 64 frames to a <see cref="FrameOutbox"/>, wake
/// the writer once) plus the writer taking them as one block; <see cref="Decode"/> is what a connection's receive
/// loop does with one read holding 64 frames (copy in, slice each frame, hand it on, compact). Allocated must be 0 B.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class LegacyFramingPathBenchmarks
{
    private const int Batch = 64;
    private const int PayloadBytes = 282;

    private readonly byte[] _payload = new byte[PayloadBytes];
    private readonly byte[] _stream = new byte[Batch * (4 + PayloadBytes)];
    private FrameOutbox _outbox = null!;
    private FrameReceiveBuffer _receive = null!;

    [GlobalSetup]
    public void Setup()
    {
        new Random(5).NextBytes(_payload);
        for (var i = 0; i < Batch; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_stream.AsSpan(i * (4 + PayloadBytes)), PayloadBytes);
            _payload.CopyTo(_stream.AsSpan((i * (4 + PayloadBytes)) + 4));
        }

        _outbox = new FrameOutbox();
        _receive = new FrameReceiveBuffer(new LengthPrefixedFrameReader(), _stream.Length);
        SetupCheck.That(Encode() == _stream.Length);
        SetupCheck.That(EncodeRun() == _stream.Length);
        SetupCheck.That(Decode() == Batch * PayloadBytes);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Encode()
    {
        for (var i = 0; i < Batch; i++)
        {
            _outbox.TryEnqueue(_payload);
        }

        _outbox.Wake();
        var wait = _outbox.WaitAsync(); // completes at once: it was just woken
        if (!wait.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("The outbox did not wake.");
        }

        wait.GetAwaiter().GetResult();
        _outbox.TryTake(out var frames, out _);
        _outbox.Release();
        return frames.Length;
    }

    /// <summary>What the client's UDP loop does now: a batch's run framed under one hold of the outbox's lock, then taken.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int EncodeRun()
    {
        using (var appender = _outbox.BeginAppend())
        {
            for (var i = 0; i < Batch; i++)
            {
                appender.TryEnqueue(_payload);
            }
        }

        _outbox.TryTake(out var frames, out _);
        _outbox.Release();
        return frames.Length;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public long Decode()
    {
        _stream.CopyTo(_receive.FreeSpace);
        _receive.Advance(_stream.Length);
        long total = 0;
        FrameStatus status;
        while ((status = _receive.TryTakeFrame(out var frame, out _)) == FrameStatus.Done)
        {
            total += _receive.Payload(frame).Length;
        }

        _receive.Compact(-1);
        return status == FrameStatus.NeedMoreData ? total : -1;
    }
}
