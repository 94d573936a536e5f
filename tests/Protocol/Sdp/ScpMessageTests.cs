using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Sdp;

public class ScpMessageTests
{
    // VER request to (0,0) core 0, seq 0x1234, three zero args (the board wants all three: < 26 bytes gets RC_LEN).
    internal static readonly byte[] VerRequest = Hex.Bytes(
        "0000 87 FF 00 FF 00 00 00 00 | 0000 3412 | 00000000 00000000 00000000".Replace("|", "", StringComparison.Ordinal));

    // Error reply to it: flags 07, ports and chips swapped, rc 0x83 (CMD), same seq: 14 bytes.
    internal static readonly byte[] CmdErrorReply = Hex.Bytes("0000 07 FF FF 00 00 00 00 00 8300 3412");

    [Fact]
    public void Writes_a_ver_request_byte_for_byte()
    {
        var buffer = new byte[300];

        Assert.True(ScpMessage.TryWriteRequest(
            buffer, SdpHeader.ScpRequest(0, 0, 0), ScpCommand.Ver, 0x1234, [0, 0, 0], [], out int written));

        Assert.Equal(Hex.Of(VerRequest), Hex.Of(buffer.AsSpan(0, written)));
        Assert.Equal(ScpMessage.MinBoardRequestLength, written);
    }

    [Fact]
    public void Reads_a_ver_request()
    {
        Assert.Equal(ScpError.None, ScpMessage.TryRead(VerRequest, 3, out ScpMessage request));

        Assert.Equal(SdpHeader.ScpRequest(0, 0, 0), request.Header);
        Assert.Equal(ScpCommand.Ver, request.Command);
        Assert.Equal(0x1234, request.Sequence);
        Assert.Equal(3, request.ArgCount);
        Assert.True(request.Data.IsEmpty);
    }

    [Fact]
    public void Writes_and_reads_a_14_byte_error_reply()
    {
        Assert.Equal(ScpError.None, ScpMessage.TryRead(VerRequest, 3, out ScpMessage request));
        var buffer = new byte[300];

        Assert.True(ScpMessage.TryWriteResponse(
            buffer, request.Header.ToReply(), ScpResult.Cmd, request.Sequence, [], [], out int written));

        Assert.Equal(Hex.Of(CmdErrorReply), Hex.Of(buffer.AsSpan(0, written)));
        Assert.Equal(ScpError.None, ScpMessage.TryRead(CmdErrorReply, 0, out ScpMessage reply));
        Assert.Equal(ScpResult.Cmd, reply.Result);
        Assert.Equal(0x1234, reply.Sequence);
        Assert.Equal(ScpError.ArgumentsMissing, ScpMessage.TryRead(CmdErrorReply, 1, out _));
    }

    [Fact]
    public void Header_reader_gives_rc_and_seq_without_knowing_the_args()
    {
        Assert.Equal(ScpError.None, ScpHeader.TryRead(CmdErrorReply, out ScpHeader reply));
        Assert.Equal(ScpError.None, ScpHeader.TryRead(VerRequest, out ScpHeader request));

        Assert.Equal(new ScpHeader(0x83, 0x1234), reply);
        Assert.Equal(ScpResult.Cmd, reply.Result);
        Assert.Equal(ScpCommand.Ver, request.Command);
    }

    [Fact]
    public void Reads_a_read_reply_whose_data_starts_at_offset_14()
    {
        // rc OK, seq 7, then 4 data bytes where arg1 would be.
        byte[] readReply = Hex.Bytes("0000 07 FF FF 00 00 00 00 00 8000 0700 DEADBEEF");

        Assert.Equal(ScpError.None, ScpMessage.TryRead(readReply, 0, out ScpMessage reply));

        Assert.Equal(ScpResult.Ok, reply.Result);
        Assert.Equal(Hex.Bytes("DEADBEEF"), reply.Data.ToArray());
        Assert.Equal(0u, reply.Arg1);
    }

    [Fact]
    public void Args_are_little_endian_and_data_follows_them()
    {
        byte[] write = Hex.Bytes("0000 87 FF 00 FF 00 00 00 00 0300 0100 00000060 04000000 02000000 01020304");

        Assert.Equal(ScpError.None, ScpMessage.TryRead(write, 3, out ScpMessage message));

        Assert.Equal(ScpCommand.Write, message.Command);
        Assert.Equal(0x6000_0000u, message.Arg1);
        Assert.Equal(4u, message.Arg2);
        Assert.Equal(2u, message.Arg3);
        Assert.Equal(Hex.Bytes("01020304"), message.Data.ToArray());
        Assert.Equal(ScpError.None, ScpMessage.TryRead(write, 1, out ScpMessage oneArg));
        Assert.Equal(0x6000_0000u, oneArg.Arg1);
        Assert.Equal(0u, oneArg.Arg2);
        Assert.Equal(12, oneArg.Data.Length);
    }

    [Fact]
    public void Round_trips_every_arg_count_and_data_length()
    {
        var random = new Random(282);
        var buffer = new byte[SdpConstants.MaxDatagramLength];
        uint[] args = [0x11111111, 0x22222222, 0x33333333];
        for (int argCount = 0; argCount <= 3; argCount++)
        {
            for (int dataLength = 0; dataLength <= ScpMessage.MaxDataLength; dataLength++)
            {
                var data = new byte[dataLength];
                random.NextBytes(data);
                var header = new SdpHeader(0x87, 1, 2, 3, 4, 5, 6, 7);
                ushort seq = (ushort)random.Next(65536);

                Assert.True(ScpMessage.TryWrite(buffer, header, 0x1A, seq, args.AsSpan(0, argCount), data, out int n));
                Assert.Equal(14 + (4 * argCount) + dataLength, n);
                Assert.Equal(ScpError.None, ScpMessage.TryRead(buffer.AsSpan(0, n), argCount, out ScpMessage read));

                Assert.Equal(header, read.Header);
                Assert.Equal(new ScpHeader(0x1A, seq), read.Scp);
                Assert.Equal(argCount > 0 ? args[0] : 0, read.Arg1);
                Assert.Equal(argCount > 1 ? args[1] : 0, read.Arg2);
                Assert.Equal(argCount > 2 ? args[2] : 0, read.Arg3);
                Assert.True(read.Data.SequenceEqual(data));
            }
        }
    }

    public static TheoryData<int> VerRequestPrefixLengths() => [.. Enumerable.Range(0, VerRequest.Length)];

    [Theory]
    [MemberData(nameof(VerRequestPrefixLengths))]
    public void Every_truncated_prefix_of_a_ver_request_is_malformed(int length)
    {
        ReadOnlySpan<byte> prefix = VerRequest.AsSpan(0, length);
        ScpError expected = length < ScpMessage.MinLength ? ScpError.TooShort : ScpError.ArgumentsMissing;

        Assert.Equal(expected, ScpMessage.TryRead(prefix, 3, out ScpMessage message));
        Assert.Equal(0, message.ArgCount);
        Assert.True(message.Data.IsEmpty);
        Assert.Equal(
            length < ScpMessage.MinLength ? ScpError.TooShort : ScpError.None, ScpHeader.TryRead(prefix, out _));
    }

    [Fact]
    public void Every_truncated_prefix_of_an_error_reply_is_too_short()
    {
        for (int length = 0; length < CmdErrorReply.Length; length++)
        {
            Assert.Equal(ScpError.TooShort, ScpMessage.TryRead(CmdErrorReply.AsSpan(0, length), 0, out _));
            Assert.Equal(ScpError.TooShort, ScpHeader.TryRead(CmdErrorReply.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void Rejects_283_bytes_and_data_over_256()
    {
        var oversize = new byte[283];
        var max = new byte[282];

        Assert.Equal(ScpError.TooLong, ScpMessage.TryRead(oversize, 3, out _));
        Assert.Equal(ScpError.TooLong, ScpHeader.TryRead(oversize, out _));
        Assert.Equal(ScpError.None, ScpMessage.TryRead(max, 3, out ScpMessage full));
        Assert.Equal(256, full.Data.Length);
        Assert.Equal(ScpError.DataTooLong, ScpMessage.TryRead(max, 2, out _));
        Assert.Equal(ScpError.DataTooLong, ScpMessage.TryRead(max, 0, out _));
    }

    [Fact]
    public void Writer_reports_every_too_small_destination()
    {
        for (int size = 0; size < VerRequest.Length; size++)
        {
            Assert.False(ScpMessage.TryWriteRequest(
                new byte[size], SdpHeader.ScpRequest(0, 0, 0), ScpCommand.Ver, 1, [0, 0, 0], [], out int written));
            Assert.Equal(0, written);
        }
    }

    [Fact]
    public void Caller_bugs_throw()
    {
        var header = SdpHeader.ScpRequest(0, 0, 0);

        Assert.Throws<ArgumentOutOfRangeException>(() => ScpMessage.TryRead(VerRequest, 4, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScpMessage.TryRead(VerRequest, -1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(
            () => ScpMessage.TryWrite(new byte[300], header, 0, 0, [1, 2, 3, 4], [], out _));
        Assert.Throws<ArgumentOutOfRangeException>(
            () => ScpMessage.TryWrite(new byte[300], header, 0, 0, [], new byte[257], out _));
        Assert.Throws<ArgumentException>(() => ScpHeader.WriteSequence(new byte[13], 1));
    }

    [Fact]
    public void Sequence_can_be_rewritten_in_place()
    {
        byte[] copy = (byte[])VerRequest.Clone();

        ScpHeader.WriteSequence(copy, 0xBEEF);

        Assert.Equal(ScpError.None, ScpHeader.TryRead(copy, out ScpHeader header));
        Assert.Equal(0xBEEF, header.Sequence);
        Assert.Equal(Hex.Of(VerRequest.AsSpan(14)), Hex.Of(copy.AsSpan(14)));
    }

    [Fact]
    public void Enums_carry_the_documented_codes()
    {
        Assert.Equal(26, (int)ScpCommand.IpTag);
        Assert.Equal(64, (int)ScpCommand.Tube);
        Assert.Equal(57, (int)ScpCommand.BmpPower);
        Assert.Equal(0x80, (int)ScpResult.Ok);
        Assert.Equal(0x8F, (int)ScpResult.PktTx);
        Assert.Equal(16, Enum.GetValues<ScpResult>().Length);
    }
}
