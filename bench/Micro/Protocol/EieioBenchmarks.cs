using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Protocol.Eieio;

namespace FastSpinnRelay.Bench.Protocol;

/// <summary>
/// EIEIO parsing and building on prepared bytes (no sockets): a full live-output packet (type 2, 64 keys, the
/// 258-byte common case), a prefixed type-3 packet, and a buffering command. Allocated must be 0 B.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class EieioBenchmarks
{
    private const int SpikesPerPacket = 64;

    private readonly byte[] _spikes = new byte[2 + (SpikesPerPacket * 4)];
    private readonly byte[] _prefixed = new byte[2 + 2 + 4 + (32 * 8)];
    private readonly byte[] _command = new byte[EieioRequestBuffersCommand.Length];
    private readonly byte[] _scratch = new byte[512];
    private uint _expectedKeySum;

    [GlobalSetup]
    public void Setup()
    {
        SetupCheck.That(EieioDataWriter.TryCreate(_spikes, new EieioDataFormat(EieioType.Key32), out EieioDataWriter spikes));
        for (uint i = 0; i < SpikesPerPacket; i++)
        {
            SetupCheck.That(spikes.TryAddKey(0x0100_0000 + (i * 7)));
            _expectedKeySum += 0x0100_0000 + (i * 7);
        }

        var format = new EieioDataFormat(EieioType.Key32Payload32) { KeyPrefix = 0x1234, PrefixInUpperHalf = true, PayloadBase = 0x8000_0000 };
        SetupCheck.That(EieioDataWriter.TryCreate(_prefixed, format, out EieioDataWriter prefixed));
        for (uint i = 0; i < 32; i++)
        {
            SetupCheck.That(prefixed.TryAdd(i, i * 3));
        }

        SetupCheck.That(new EieioRequestBuffersCommand(1, 2, 3, 4, 5, 4096).TryWrite(_command, out _));

        // Verify what the benchmarks measure before measuring it.
        SetupCheck.That(SumKeys() == _expectedKeySum);
        SetupCheck.That(SumPrefixedPayloads() != 0);
        SetupCheck.That(ReadCommand() == (int)EieioCommandId.SpinnakerRequestBuffers);
        SetupCheck.That(WriteSpikes() == _spikes.Length && _scratch.AsSpan(0, _spikes.Length).SequenceEqual(_spikes));
    }

    /// <summary>Validate a 258-byte spike packet (header and length only).</summary>
    [Benchmark(Baseline = true)]
    public int ReadHeader() => EieioDataPacket.TryRead(_spikes, out EieioDataPacket packet) == EieioDataError.None ? packet.Count : -1;

    /// <summary>Validate a 258-byte spike packet and read all 64 keys.</summary>
    [Benchmark]
    public uint SumKeys()
    {
        if (EieioDataPacket.TryRead(_spikes, out EieioDataPacket packet) != EieioDataError.None)
        {
            return 0;
        }

        uint sum = 0;
        for (int i = 0; i < packet.Count; i++)
        {
            sum += packet.GetKey(i);
        }

        return sum;
    }

    /// <summary>Validate a type-3 packet with an upper-half key prefix and payload base, and read all 32 payloads.</summary>
    [Benchmark]
    public uint SumPrefixedPayloads()
    {
        if (EieioDataPacket.TryRead(_prefixed, out EieioDataPacket packet) != EieioDataError.None)
        {
            return 0;
        }

        uint sum = 0;
        for (int i = 0; i < packet.Count; i++)
        {
            sum += packet.GetKey(i) ^ packet.GetPayload(i);
        }

        return sum;
    }

    /// <summary>Classify and fully validate a SPINNAKER_REQUEST_BUFFERS command through the generic reader.</summary>
    [Benchmark]
    public int ReadCommand() => EieioCommand.TryRead(_command, out EieioCommand command) == EieioCommandError.None ? (int)command.Id : -1;

    /// <summary>Build a 64-key spike packet in place.</summary>
    [Benchmark]
    public int WriteSpikes()
    {
        if (!EieioDataWriter.TryCreate(_scratch, new EieioDataFormat(EieioType.Key32), out EieioDataWriter writer))
        {
            return -1;
        }

        for (uint i = 0; i < SpikesPerPacket; i++)
        {
            writer.TryAddKey(0x0100_0000 + (i * 7));
        }

        return writer.Length;
    }
}
