using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Eieio;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Eieio;

/// <summary>
/// 100,000 seeded inputs per reader (random bytes, bit flips, truncations and extensions of valid packets). Every
/// outcome must be a defined reason, agree with an independent model of the rules, and round-trip when accepted.
/// </summary>
public class EieioFuzzTests
{
    private const int Seed = 20240611;
    private const int MaxRandomLength = 80;

    [Fact]
    public void Data_reader_agrees_with_a_model_and_accepted_packets_round_trip()
    {
        byte[][] corpus = [.. ((IEnumerable<object[]>)EieioDataPacketTests.ValidPackets()).Select(row => Hex.Bytes((string)row[0]))];
        var rewritten = new byte[4096];
        int accepted = 0;

        FuzzInputs.Run(Seed, corpus, MaxRandomLength, input =>
        {
            EieioDataError error = EieioDataPacket.TryRead(input, out EieioDataPacket packet);

            Assert.Equal(ExpectedDataError(input), error);
            if (error != EieioDataError.None)
            {
                Assert.Equal(0, packet.Packet.Length);
                return;
            }

            accepted++;
            Assert.True(EieioDataWriter.TryCreate(rewritten, packet.Format, out EieioDataWriter writer));
            for (int i = 0; i < packet.Count; i++)
            {
                bool added = packet.Type is EieioType.Key16Payload16 or EieioType.Key32Payload32
                    ? writer.TryAdd(packet.GetRawKey(i), packet.GetRawPayload(i))
                    : writer.TryAddKey(packet.GetRawKey(i));
                Assert.True(added);
            }

            Assert.True(input.SequenceEqual(writer.WrittenSpan));
        });

        Assert.InRange(accepted, 1000, FuzzInputs.Count); // the mutations must reach the accepting path too
    }

    [Fact]
    public void Generic_command_reader_agrees_with_the_typed_readers()
    {
        int accepted = 0;
        FuzzInputs.Run(Seed + 1, CommandCorpus(), MaxRandomLength, input =>
        {
            EieioCommandError error = EieioCommand.TryRead(input, out EieioCommand command);

            Assert.True(Enum.IsDefined(error));
            if (input.Length < 2)
            {
                Assert.Equal(EieioCommandError.TooShort, error);
                return;
            }

            ushort header = BinaryPrimitives.ReadUInt16LittleEndian(input);
            if ((header & 0xC000) != 0x4000)
            {
                Assert.Equal(EieioCommandError.NotACommand, error);
                return;
            }

            var id = (EieioCommandId)(header & 0x3FFF);
            if (!Enum.IsDefined(id))
            {
                Assert.Equal(EieioCommandError.UnknownCommandId, error);
                Assert.Equal((ushort)id, command.RawId);
                return;
            }

            Assert.Equal(EieioCommandSamples.ReadTyped(id, input), error);
            if (error == EieioCommandError.None)
            {
                accepted++;
                Assert.Equal(id, command.Id);
            }
        });

        Assert.InRange(accepted, 1000, FuzzInputs.Count);
    }

    public static TheoryData<EieioCommandId> TypedReaders() => new(
        EieioCommandId.Database,
        EieioCommandId.EventStop, // the bare-command reader (IDs 2, 3, 4, 5, 10, 11)
        EieioCommandId.SpinnakerRequestBuffers,
        EieioCommandId.HostSendSequencedData,
        EieioCommandId.SpinnakerRequestReadData,
        EieioCommandId.HostDataRead,
        EieioCommandId.HostDataReadAck);

    [Theory]
    [MemberData(nameof(TypedReaders))]
    public void Typed_command_reader_never_throws_and_accepted_commands_rewrite_stably(EieioCommandId reader)
    {
        var first = new byte[256];
        var second = new byte[256];
        int accepted = 0;

        FuzzInputs.Run(Seed + 2 + (int)reader, CommandCorpus(), MaxRandomLength, input =>
        {
            EieioCommandError error = EieioCommandSamples.ReadTyped(reader, input);

            Assert.True(Enum.IsDefined(error));
            if (error != EieioCommandError.None)
            {
                return;
            }

            accepted++;
            var id = (EieioCommandId)(BinaryPrimitives.ReadUInt16LittleEndian(input) & 0x3FFF);
            int length = EieioCommandSamples.Rewrite(id, input, first);
            Assert.Equal(input.Length, length);
            Assert.Equal(length, EieioCommandSamples.Rewrite(id, first.AsSpan(0, length), second));
            Assert.True(first.AsSpan(0, length).SequenceEqual(second.AsSpan(0, length)));
            if (id is not (EieioCommandId.SpinnakerRequestBuffers or EieioCommandId.SpinnakerRequestReadData or EieioCommandId.HostDataRead))
            {
                Assert.True(input.SequenceEqual(first.AsSpan(0, length))); // no pad or masked bits to normalise
            }
        });

        Assert.InRange(accepted, 100, FuzzInputs.Count);
    }

    private static byte[][] CommandCorpus() =>
        [.. EieioCommandTests.HandVectors().Select(row => Hex.Bytes((string)row[1]))];

    /// <summary>The data packet rules of protocols.md §6.1, written out independently of the reader.</summary>
    private static EieioDataError ExpectedDataError(ReadOnlySpan<byte> input)
    {
        if (input.Length < 2)
        {
            return EieioDataError.TooShort;
        }

        int count = input[0];
        int flags = input[1];
        bool p = (flags & 0x80) != 0, f = (flags & 0x40) != 0, d = (flags & 0x20) != 0;
        int type = (flags >> 2) & 3;
        if (!p && f)
        {
            return EieioDataError.CommandHeader;
        }

        int fields = 2 + (p ? 2 : 0) + (d ? (type < 2 ? 2 : 4) : 0);
        if (input.Length < fields)
        {
            return EieioDataError.TooShort;
        }

        int needed = fields + (count * new[] { 2, 4, 4, 8 }[type]);
        return input.Length < needed ? EieioDataError.MissingElements
            : input.Length > needed ? EieioDataError.TrailingBytes
            : EieioDataError.None;
    }
}
