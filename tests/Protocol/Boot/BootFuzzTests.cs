using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Boot;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Boot;

/// <summary>
/// 100,000 seeded inputs for the packet reader and for the assembler behind it (random bytes of random length
/// 0..1100, bit flips and cuts of a real packet sequence), asserting no exception and outcomes that agree with
/// the rules written out again here.
/// </summary>
public class BootFuzzTests
{
    private static readonly byte[][] ValidSamples = [.. BootImages.Packets(BootImages.Random(2 * 1024 + 96, seed: 9))];

    [Fact]
    public void Packet_reader()
    {
        var rewrite = new byte[BootPacket.MaxLength];
        var image = new byte[BootPacket.MaxDataLength];
        int ok = 0;
        FuzzInputs.Run(seed: 11, ValidSamples, input =>
        {
            BootError error = BootPacket.TryRead(input, out BootPacket packet);

            BootError expected = input.Length < 18 ? BootError.TooShort
                : input.Length > 1042 ? BootError.TooLong
                : BinaryPrimitives.ReadUInt16BigEndian(input) != 1 ? BootError.BadVersion
                : (input.Length - 18) % 4 != 0 ? BootError.DataNotWordMultiple
                : BootError.None;
            Assert.Equal(expected, error);
            if (error != BootError.None)
            {
                Assert.True(packet.WireData.IsEmpty);
                return;
            }

            ok++;
            int n = packet.CopyImageDataTo(image);
            Assert.True(BootPacket.TryWrite(
                rewrite, packet.Opcode, packet.Operand1, packet.Operand2, packet.Operand3, image.AsSpan(0, n), out int written));
            Assert.True(rewrite.AsSpan(0, written).SequenceEqual(input));
        });
        Assert.InRange(ok, 10_000, FuzzInputs.Count);
    }

    [Fact]
    public void Assembler_behind_the_reader()
    {
        var assembler = new BootImageAssembler();
        var seen = new HashSet<BootAssemblyResult>();
        int call = 0;
        FuzzInputs.Run(seed: 12, ValidSamples, input =>
        {
            if (++call % 5000 == 0)
            {
                assembler.Reset();
            }

            if (BootPacket.TryRead(input, out BootPacket packet) != BootError.None)
            {
                return;
            }

            var before = (assembler.State, assembler.ExpectedBlockCount, assembler.ReceivedBlockCount, assembler.ImageLength);
            BootAssemblyResult result = assembler.Accept(packet);
            seen.Add(result);

            Assert.True(Enum.IsDefined(result));
            if (!result.IsAccepted())
            {
                Assert.Equal(before, (assembler.State, assembler.ExpectedBlockCount, assembler.ReceivedBlockCount, assembler.ImageLength));
            }

            Assert.InRange(assembler.ReceivedBlockCount, 0, assembler.ExpectedBlockCount);
            Assert.Equal(assembler.State == BootAssemblyState.Complete, assembler.ImageLength > 0);
            Assert.Equal(assembler.ImageLength, assembler.Image.Length);
            Assert.Equal(0, assembler.ImageLength % 4);
            if (result == BootAssemblyResult.Completed)
            {
                Assert.Equal(0, assembler.MissingBlockCount);
                Assert.InRange(assembler.ImageLength, (assembler.ExpectedBlockCount - 1) * 1024 + 4, assembler.ExpectedBlockCount * 1024);
            }
        });

        // The mix reaches the accepting paths as well as the problems.
        Assert.Contains(BootAssemblyResult.Completed, seen);
        Assert.Contains(BootAssemblyResult.BlockStored, seen);
        Assert.Contains(BootAssemblyResult.UnknownOpcode, seen);
    }
}
