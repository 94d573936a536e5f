using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Protocol.Spalloc;

namespace FastSpinnRelay.Bench.Protocol;

/// <summary>
/// Spalloc proxy frame parsing and writing on prepared bytes: the per-datagram MSG frames (a 270-byte SCP reply
/// from the board, a MSG_TO from a client) and a control frame. Allocated must be 0 B.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class SpallocFrameBenchmarks
{
    private const int ScpReplyLength = 270;

    private readonly byte[] _payload = new byte[ScpReplyLength];
    private readonly byte[] _serverMessage = new byte[SpallocFrameWriter.MessageHeaderLength + ScpReplyLength];
    private readonly byte[] _clientMessageTo = new byte[SpallocFrameWriter.MessageToHeaderLength + ScpReplyLength];
    private readonly byte[] _open = new byte[20];
    private readonly byte[] _scratch = new byte[512];

    [GlobalSetup]
    public void Setup()
    {
        new Random(42).NextBytes(_payload);
        SetupCheck.That(SpallocFrameWriter.TryWriteMessage(_serverMessage, 17, _payload, out _));
        SetupCheck.That(SpallocFrameWriter.TryWriteMessageTo(_clientMessageTo, 18, 0, 0, 17893, _payload, out _));
        SetupCheck.That(SpallocFrameWriter.TryWriteOpen(_open, 5, 8, 4, 17893, out _));

        // Verify what the benchmarks measure before measuring it.
        SetupCheck.That(ReadServerMessage() == ScpReplyLength);
        SetupCheck.That(ReadClientMessageTo() == ScpReplyLength);
        SetupCheck.That(ReadClientOpen() == 17893);
        SetupCheck.That(WriteMessage() == _serverMessage.Length && _scratch.AsSpan(0, _serverMessage.Length).SequenceEqual(_serverMessage));
    }

    /// <summary>Client side: a board datagram arriving as MSG.</summary>
    [Benchmark(Baseline = true)]
    public int ReadServerMessage() =>
        SpallocServerFrame.TryRead(_serverMessage, out SpallocServerFrame frame) == SpallocFrameError.None ? frame.Payload.Length : -1;

    /// <summary>Server side: a datagram to send, arriving as MSG_TO.</summary>
    [Benchmark]
    public int ReadClientMessageTo() =>
        SpallocClientFrame.TryRead(_clientMessageTo, out SpallocClientFrame frame) == SpallocFrameError.None ? frame.Payload.Length : -1;

    /// <summary>Server side: an OPEN request.</summary>
    [Benchmark]
    public long ReadClientOpen() =>
        SpallocClientFrame.TryRead(_open, out SpallocClientFrame frame) == SpallocFrameError.None ? frame.Port : -1;

    /// <summary>Server side: wrap a 270-byte board datagram as MSG (header + copy).</summary>
    [Benchmark]
    public int WriteMessage() => SpallocFrameWriter.TryWriteMessage(_scratch, 17, _payload, out int written) ? written : -1;

    /// <summary>Server side: write only the MSG header in front of a datagram received in place.</summary>
    [Benchmark]
    public bool WriteMessageHeader() => SpallocFrameWriter.TryWriteMessageHeader(_scratch, 17);
}
