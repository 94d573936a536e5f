using System.Net;
using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Bench.Protocol;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Emulator.Internal;

namespace FastSpinnRelay.Bench.Emulator;

/// <summary>
/// The emulated board's per-request work without sockets: take a transient tag, execute the command, write the
/// reply, free the tag; and one live-output packet. Every method must allocate 0 bytes.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class EmulatorScpBenchmarks
{
    private static readonly SocketAddress Sender = new IPEndPoint(IPAddress.Loopback, 40000).Serialize();

    private readonly byte[] _reply = new byte[SdpConstants.MaxDatagramLength];
    private readonly byte[] _spike = new byte[1024];
    private readonly IpTagTable _tags = new();
    private readonly EmulatorCounters _counters = new();
    private byte[] _ver = [];
    private byte[] _read = [];
    private byte[] _write = [];
    private ScpCommandHandler _handler = null!;

    [GlobalSetup]
    public void Setup()
    {
        _handler = new ScpCommandHandler(
            new SparseMemory(), _tags, new BootReceiver(TimeSpan.Zero, _counters, LogLevel.Debug), null, _counters,
            "4.0.0", [17893, 54321], LogLevel.Debug);
        _ver = Request(ScpCommand.Ver, [0, 0, 0], []);
        _read = Request(ScpCommand.Read, [0x6000_0000, 256, 2], []);
        _write = Request(ScpCommand.Write, [0x6000_0000, 256, 2], new byte[256]);

        SetupCheck.That(Ver() == ScpVersionInfo.DefaultReplyLength);
        SetupCheck.That(Read256() == 270);
        SetupCheck.That(Write256() == 14);
        SetupCheck.That(SpikePacket() == 258);
        SetupCheck.That(_counters.Results(ScpResult.Ok) == 3);
    }

    /// <summary>VER request to reply, with its transient tag.</summary>
    [Benchmark]
    public int Ver() => RoundTrip(_ver);

    /// <summary>READ of 256 bytes (memory copied into the reply), with its transient tag.</summary>
    [Benchmark]
    public int Read256() => RoundTrip(_read);

    /// <summary>WRITE of 256 bytes, with its transient tag.</summary>
    [Benchmark]
    public int Write256() => RoundTrip(_write);

    /// <summary>One 64-key live-output packet (EIEIO header, sequence key, population keys).</summary>
    [Benchmark]
    public int SpikePacket() => SpikeSource.WritePacket(_spike, 12345, 64, 1024);

    private int RoundTrip(byte[] request)
    {
        var tag = _tags.AllocateTransient(Sender, 0);
        var n = _handler.Execute(request, Sender, (byte)tag, _reply);
        _tags.ReleaseTransient(tag, 0);
        return n;
    }

    private static byte[] Request(ScpCommand command, uint[] args, byte[] data)
    {
        var buffer = new byte[SdpConstants.MaxDatagramLength];
        SetupCheck.That(ScpMessage.TryWriteRequest(buffer, SdpHeader.ScpRequest(0, 0, 0), command, 1, args, data, out var n));
        return buffer[..n];
    }
}
