using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Sdp;

/// <summary>
/// 100,000 seeded inputs per reader (random bytes of random length 0..1100, bit flips and cuts of valid
/// packets). Each asserts no exception and that the outcome agrees with the layout rules written out again here;
/// a successful read must write back to the same bytes.
/// </summary>
public class SdpScpFuzzTests
{
    private static readonly byte[][] ValidSamples = BuildSamples();

    [Fact]
    public void Sdp_datagram_reader()
    {
        var rewrite = new byte[SdpConstants.MaxDatagramLength];
        int ok = 0;
        FuzzInputs.Run(seed: 1, ValidSamples, input =>
        {
            SdpError error = SdpDatagram.TryRead(input, out SdpDatagram datagram);

            Assert.Equal(ExpectedFraming(input.Length, min: 10), error);
            if (error == SdpError.None)
            {
                ok++;
                Assert.True(SdpDatagram.TryWrite(rewrite, datagram.Header, datagram.Payload, out int n));
                AssertSameExceptPad(input, rewrite.AsSpan(0, n));
            }
        });
        Assert.InRange(ok, 10_000, FuzzInputs.Count);
    }

    [Fact]
    public void Scp_header_reader()
    {
        int ok = 0;
        FuzzInputs.Run(seed: 2, ValidSamples, input =>
        {
            ScpError error = ScpHeader.TryRead(input, out ScpHeader header);

            Assert.Equal(ExpectedScpFraming(input.Length), error);
            if (error == ScpError.None)
            {
                ok++;
                Assert.Equal(BinaryPrimitives.ReadUInt16LittleEndian(input[10..]), header.CommandOrResult);
                Assert.Equal(BinaryPrimitives.ReadUInt16LittleEndian(input[12..]), header.Sequence);
            }
        });
        Assert.InRange(ok, 10_000, FuzzInputs.Count);
    }

    [Fact]
    public void Scp_message_reader_with_every_arg_count()
    {
        var rewrite = new byte[SdpConstants.MaxDatagramLength];
        var args = new uint[3];
        int ok = 0, call = 0;
        FuzzInputs.Run(seed: 3, ValidSamples, input =>
        {
            int argCount = call++ % 4;
            ScpError error = ScpMessage.TryRead(input, argCount, out ScpMessage message);

            ScpError expected = ExpectedScpFraming(input.Length);
            if (expected == ScpError.None && input.Length < 14 + (4 * argCount))
            {
                expected = ScpError.ArgumentsMissing;
            }
            else if (expected == ScpError.None && input.Length - 14 - (4 * argCount) > 256)
            {
                expected = ScpError.DataTooLong;
            }

            Assert.Equal(expected, error);
            if (error == ScpError.None)
            {
                ok++;
                Assert.Equal(argCount, message.ArgCount);
                args[0] = message.Arg1;
                args[1] = message.Arg2;
                args[2] = message.Arg3;
                Assert.True(ScpMessage.TryWrite(
                    rewrite, message.Header, message.Scp.CommandOrResult, message.Sequence, args.AsSpan(0, argCount),
                    message.Data, out int n));
                AssertSameExceptPad(input, rewrite.AsSpan(0, n));
            }
            else
            {
                Assert.True(message.Data.IsEmpty);
            }
        });
        Assert.InRange(ok, 10_000, FuzzInputs.Count);
    }

    [Fact]
    public void Ver_reply_reader()
    {
        var rewrite = new byte[SdpConstants.MaxDatagramLength];
        int ok = 0;
        FuzzInputs.Run(seed: 4, ValidSamples, input =>
        {
            ScpError error = ScpVersionInfo.TryRead(input, out ScpVersionInfo info);

            Assert.Equal(ExpectedVersion(input, out int nameLength, out int versionLength), error);
            if (error != ScpError.None)
            {
                return;
            }

            ok++;
            Assert.Equal(nameLength, info.Name.Length);
            Assert.Equal(versionLength, info.Version.Length);
            Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(input[14..]), info.Arg1);
            Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(input[18..]), info.Arg2);
            Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(input[22..]), info.BuildDate);
            if (nameLength > 0 && versionLength > 0 && 26 + nameLength + versionLength + 2 == input.Length)
            {
                SdpDatagram.TryRead(input, out SdpDatagram sdp);
                Assert.True(info.TryWriteReply(rewrite, sdp.Header, BinaryPrimitives.ReadUInt16LittleEndian(input[12..]), out int n));
                AssertSameExceptPad(input, rewrite.AsSpan(0, n));
            }
        });
        Assert.InRange(ok, 1_000, FuzzInputs.Count);
    }

    [Fact]
    public void Ip_tag_entry_reader()
    {
        var rewrite = new byte[ScpIpTagEntry.Length];
        int ok = 0;
        FuzzInputs.Run(seed: 5, ValidSamples, input =>
        {
            ScpError error = ScpIpTagEntry.TryRead(input, out ScpIpTagEntry entry);

            Assert.Equal(input.Length < 32 ? ScpError.IpTagEntryTooShort : ScpError.None, error);
            if (error == ScpError.None)
            {
                ok++;
                Assert.True(entry.TryWrite(rewrite, out _));
                Assert.True(rewrite.AsSpan(0, 25).SequenceEqual(input[..25]));
            }
        });
        Assert.InRange(ok, 10_000, FuzzInputs.Count);
    }

    private static SdpError ExpectedFraming(int length, int min) =>
        length < min ? SdpError.TooShort : length > 282 ? SdpError.TooLong : SdpError.None;

    private static ScpError ExpectedScpFraming(int length) =>
        length < 14 ? ScpError.TooShort : length > 282 ? ScpError.TooLong : ScpError.None;

    private static ScpError ExpectedVersion(ReadOnlySpan<byte> input, out int nameLength, out int versionLength)
    {
        nameLength = versionLength = 0;
        ScpError framing = ExpectedScpFraming(input.Length);
        if (framing != ScpError.None)
        {
            return framing;
        }

        if (input[10] != 0x80 || input[11] != 0)
        {
            return ScpError.NotOk;
        }

        if (input.Length < 26)
        {
            return ScpError.ArgumentsMissing;
        }

        int i = 26;
        while (i < input.Length && input[i] != 0)
        {
            i++;
        }

        if (i == input.Length)
        {
            return ScpError.VersionNameNotTerminated;
        }

        nameLength = i - 26;
        int j = i + 1;
        while (j < input.Length && input[j] != 0)
        {
            j++;
        }

        if (j == input.Length)
        {
            nameLength = 0;
            return ScpError.VersionStringNotTerminated;
        }

        versionLength = j - i - 1;
        return ScpError.None;
    }

    private static void AssertSameExceptPad(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.True(actual[2..].SequenceEqual(expected[2..]));
    }

    private static byte[][] BuildSamples()
    {
        var buffer = new byte[SdpConstants.MaxDatagramLength];
        var reply = SdpHeader.ScpRequest(0, 0, 0).ToReply();
        var data = new byte[256];
        new Random(256).NextBytes(data);

        Assert.True(ScpMessage.TryWriteResponse(buffer, reply, ScpResult.Ok, 3, [], data, out int readReply));
        byte[] read = buffer[..readReply];
        Assert.True(ScpMessage.TryWriteRequest(
            buffer, SdpHeader.ScpRequest(1, 2, 3), ScpCommand.Write, 4, [0x6000_0000, 256, 2], data, out int write));
        byte[] maxWrite = buffer[..write];

        return [ScpMessageTests.VerRequest, ScpMessageTests.CmdErrorReply, ScpVersionInfoTests.VerReply, read, maxWrite];
    }
}
