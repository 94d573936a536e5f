using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Protocol.Boot;

namespace FastSpinnRelay.Bench.Protocol;

/// <summary>
/// Boot packet parse/write and a whole image (rig's 27,168 bytes, 29 packets) split and assembled, on prepared
/// buffers with no sockets. Every method must allocate 0 bytes (the assembler's 32 KiB buffer is made in setup).
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class BootBenchmarks
{
    private const int ImageLength = 27_168;
    private readonly byte[] _image = new byte[ImageLength];
    private readonly byte[] _blockPacket = new byte[BootPacket.MaxLength];
    private readonly byte[] _output = new byte[BootPacket.MaxLength];
    private readonly byte[] _sequence = new byte[29 * BootPacket.MaxLength];
    private readonly int[] _packetLengths = new int[29];
    private readonly BootImageAssembler _assembler = new();

    [GlobalSetup]
    public void Setup()
    {
        new Random(54321).NextBytes(_image);
        SetupCheck.That(BootPacket.TryWrite(_blockPacket, BootOpcode.Block, (255 << 8) | 3, 0, 0, _image.AsSpan(0, 1024), out int n));
        SetupCheck.That(n == BootPacket.MaxLength);

        var splitter = new BootImageSplitter(_image);
        for (int i = 0; i < _packetLengths.Length; i++)
        {
            SetupCheck.That(splitter.TryWriteNext(_sequence.AsSpan(i * BootPacket.MaxLength), out _packetLengths[i]));
        }

        SetupCheck.That(splitter.IsComplete);
        SetupCheck.That(ReadBlockPacket() == 1024 + 3);
        SetupCheck.That(WriteBlockPacket() == BootPacket.MaxLength);
        SetupCheck.That(SplitImage() == 18 + (27 * 18) + ImageLength + 18);
        SetupCheck.That(AssembleImage() == ImageLength && _assembler.Image.SequenceEqual(_image));
    }

    /// <summary>A full 1042-byte BLOCK packet.</summary>
    [Benchmark]
    public long ReadBlockPacket()
    {
        BootPacket.TryRead(_blockPacket, out BootPacket packet);
        return packet.WireData.Length + (packet.Operand1 & 0xFF);
    }

    /// <summary>A full BLOCK packet from 1 KiB of image (includes the word reversal).</summary>
    [Benchmark]
    public int WriteBlockPacket()
    {
        BootPacket.TryWrite(_output, BootOpcode.Block, (255 << 8) | 3, 0, 0, _image.AsSpan(0, 1024), out int written);
        return written;
    }

    /// <summary>The 29-packet sequence of a 27,168-byte image into one reused buffer.</summary>
    [Benchmark]
    public int SplitImage()
    {
        var splitter = new BootImageSplitter(_image);
        int total = 0;
        while (!splitter.IsComplete)
        {
            splitter.TryWriteNext(_output, out int written);
            total += written;
        }

        return total;
    }

    /// <summary>Board side: parse and accept the 29 packets, ending with the complete image.</summary>
    [Benchmark]
    public int AssembleImage()
    {
        _assembler.Reset();
        for (int i = 0; i < _packetLengths.Length; i++)
        {
            BootPacket.TryRead(_sequence.AsSpan(i * BootPacket.MaxLength, _packetLengths[i]), out BootPacket packet);
            _assembler.Accept(packet);
        }

        return _assembler.ImageLength;
    }
}
