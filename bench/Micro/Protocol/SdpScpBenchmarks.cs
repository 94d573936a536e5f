using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Protocol.Sdp;

namespace FastSpinnRelay.Bench.Protocol;

/// <summary>
/// SDP/SCP parse and write on prepared datagrams, no sockets: the relay's per-datagram header read and seq
/// rewrite, a consumer's full read, and the emulator's reply writes. Every method must allocate 0 bytes.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class SdpScpBenchmarks
{
    private readonly byte[] _verRequest = new byte[SdpConstants.MaxDatagramLength];
    private readonly byte[] _maxWrite = new byte[SdpConstants.MaxDatagramLength];
    private readonly byte[] _verReply = new byte[SdpConstants.MaxDatagramLength];
    private readonly byte[] _data = new byte[ScpMessage.MaxDataLength];
    private readonly byte[] _output = new byte[SdpConstants.MaxDatagramLength];
    private int _verRequestLength;
    private int _maxWriteLength;
    private int _verReplyLength;

    [GlobalSetup]
    public void Setup()
    {
        new Random(42).NextBytes(_data);
        SdpHeader request = SdpHeader.ScpRequest(0, 0, 0);
        SetupCheck.That(ScpMessage.TryWriteRequest(_verRequest, request, ScpCommand.Ver, 0x1234, [0, 0, 0], [], out _verRequestLength));
        SetupCheck.That(ScpMessage.TryWriteRequest(
            _maxWrite, SdpHeader.ScpRequest(1, 2, 3), ScpCommand.Write, 7, [0x6000_0000, 256, 2], _data, out _maxWriteLength));
        SetupCheck.That(new ScpVersionInfo(0, 1, 0, 0x12345678).TryWriteReply(_verReply, request.ToReply(), 0x1234, out _verReplyLength));

        SetupCheck.That(_verRequestLength == 26 && _maxWriteLength == 282 && _verReplyLength == 48);
        SetupCheck.That(ReadScpHeader() == 0x1234);
        SetupCheck.That(ReadScpMessage() == 256 + 0x6000_0000);
        SetupCheck.That(ReadSdpDatagram() == 16);
        SetupCheck.That(ReadVersionReply() == 0x0100 + 5);
        SetupCheck.That(WriteReadReply() == 270);
        SetupCheck.That(WriteVersionReply() == 48);
    }

    /// <summary>Relay path: cmd/rc + seq of a VER request.</summary>
    [Benchmark]
    public int ReadScpHeader()
    {
        ScpHeader.TryRead(_verRequest.AsSpan(0, _verRequestLength), out ScpHeader header);
        return header.Sequence;
    }

    /// <summary>Relay path: renumber a request in place.</summary>
    [Benchmark]
    public int RewriteSequence()
    {
        ScpHeader.WriteSequence(_verRequest.AsSpan(0, _verRequestLength), 0x1234);
        return _verRequest[12];
    }

    /// <summary>SDP header + payload of a VER request.</summary>
    [Benchmark]
    public int ReadSdpDatagram()
    {
        SdpDatagram.TryRead(_verRequest.AsSpan(0, _verRequestLength), out SdpDatagram datagram);
        return datagram.Payload.Length;
    }

    /// <summary>Emulator path: a 282-byte WRITE with 3 args and 256 data bytes.</summary>
    [Benchmark]
    public long ReadScpMessage()
    {
        ScpMessage.TryRead(_maxWrite.AsSpan(0, _maxWriteLength), 3, out ScpMessage message);
        return message.Data.Length + (long)message.Arg1;
    }

    /// <summary>Host/probe path: the 48-byte VER reply with its two strings.</summary>
    [Benchmark]
    public int ReadVersionReply()
    {
        ScpVersionInfo.TryRead(_verReply.AsSpan(0, _verReplyLength), out ScpVersionInfo info);
        return (info.PhysicalCpu << 8) + info.Version.Length;
    }

    /// <summary>Emulator path: a READ reply carrying 256 bytes.</summary>
    [Benchmark]
    public int WriteReadReply()
    {
        ScpMessage.TryWriteResponse(
            _output, SdpHeader.ScpRequest(0, 0, 0).ToReply(), ScpResult.Ok, 0x1234, [], _data, out int written);
        return written;
    }

    /// <summary>Emulator path: the 48-byte VER reply.</summary>
    [Benchmark]
    public int WriteVersionReply()
    {
        new ScpVersionInfo(0, 1, 0, 0x12345678).TryWriteReply(
            _output, SdpHeader.ScpRequest(0, 0, 0).ToReply(), 0x1234, out int written);
        return written;
    }
}
