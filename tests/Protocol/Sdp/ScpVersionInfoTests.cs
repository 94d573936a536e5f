using System.Text;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Sdp;

public class ScpVersionInfoTests
{
    // Reply from chip (0,0), phys cpu 1, virt cpu 0, built 0x12345678, to the VER request with seq 0x1234.
    internal static readonly byte[] VerReply = Hex.Bytes(
        "0000 07 FF FF 00 00 00 00 00" +          // pad, flags 07, tag FF, dest Ethernet, src port 0 cpu 0, chips
        "8000 3412" +                              // rc OK, seq
        "00010000" +                               // arg1 = (0x0000 << 16) | (1 << 8) | 0
        "0001FFFF" +                               // arg2 = 0xFFFF0000 | 256
        "78563412" +                               // arg3 = build date
        "5343264D502F5370694E4E616B657200" +       // "SC&MP/SpiNNaker\0"
        "342E302E3000");                           // "4.0.0\0"

    [Fact]
    public void Writes_the_48_byte_reply_byte_for_byte()
    {
        var request = SdpHeader.ScpRequest(0, 0, 0);
        var info = new ScpVersionInfo(p2pAddress: 0x0000, physicalCpu: 1, virtualCpu: 0, buildDate: 0x12345678);
        var buffer = new byte[300];

        Assert.True(info.TryWriteReply(buffer, request.ToReply(), 0x1234, out int written));

        Assert.Equal(ScpVersionInfo.DefaultReplyLength, written);
        Assert.Equal(Hex.Of(VerReply), Hex.Of(buffer.AsSpan(0, written)));
    }

    [Fact]
    public void Reads_the_48_byte_reply()
    {
        Assert.Equal(ScpError.None, ScpVersionInfo.TryRead(VerReply, out ScpVersionInfo info));

        Assert.Equal(0, info.P2PAddress);
        Assert.True(info.IsBooted);
        Assert.Equal(1, info.PhysicalCpu);
        Assert.Equal(0, info.VirtualCpu);
        Assert.Equal(ScpVersionInfo.VersionInString, info.LegacyVersion);
        Assert.Equal(256, info.BufferSize);
        Assert.Equal(0x12345678u, info.BuildDate);
        Assert.Equal("SC&MP/SpiNNaker", Encoding.ASCII.GetString(info.Name));
        Assert.Equal("4.0.0", Encoding.ASCII.GetString(info.Version));
        Assert.Equal(0xFFFF0100u, info.Arg2);
    }

    [Fact]
    public void Not_booted_board_reports_p2p_address_ffff()
    {
        var info = new ScpVersionInfo(ScpVersionInfo.NotBootedAddress, 1, 0, 0);
        var buffer = new byte[300];

        Assert.True(info.TryWriteReply(buffer, SdpHeader.ScpRequest(255, 255, 0).ToReply(), 1, out int written));

        Assert.Equal(Hex.Bytes("0001FFFF"), buffer.AsSpan(14, 4).ToArray());
        Assert.Equal(ScpError.None, ScpVersionInfo.TryRead(buffer.AsSpan(0, written), out ScpVersionInfo read));
        Assert.False(read.IsBooted);
        Assert.Equal(0xFFFF0100u, read.Arg1);
    }

    [Fact]
    public void Custom_strings_and_chip_address_round_trip()
    {
        var info = new ScpVersionInfo(0x0203, 17, 0, 99, "SC&MP/SpiNNaker"u8, "4.2.1-test"u8);
        var buffer = new byte[300];

        Assert.True(info.TryWriteReply(buffer, SdpHeader.ScpRequest(2, 3, 0).ToReply(), 5, out int written));
        Assert.Equal(ScpError.None, ScpVersionInfo.TryRead(buffer.AsSpan(0, written), out ScpVersionInfo read));

        Assert.Equal(2, read.X);
        Assert.Equal(3, read.Y);
        Assert.Equal(17, read.PhysicalCpu);
        Assert.Equal("4.2.1-test", Encoding.ASCII.GetString(read.Version));
    }

    [Fact]
    public void Error_reply_is_not_ok_rather_than_missing_args() =>
        Assert.Equal(ScpError.NotOk, ScpVersionInfo.TryRead(ScpMessageTests.CmdErrorReply, out _));

    public static TheoryData<int> ReplyPrefixLengths() => [.. Enumerable.Range(0, VerReply.Length)];

    [Theory]
    [MemberData(nameof(ReplyPrefixLengths))]
    public void Every_truncated_prefix_of_the_reply_is_malformed_with_the_right_reason(int length)
    {
        ScpError expected = length switch
        {
            < 14 => ScpError.TooShort,
            < 26 => ScpError.ArgumentsMissing,
            < 26 + 16 => ScpError.VersionNameNotTerminated,
            _ => ScpError.VersionStringNotTerminated,
        };

        Assert.Equal(expected, ScpVersionInfo.TryRead(VerReply.AsSpan(0, length), out ScpVersionInfo info));
        Assert.True(info.Name.IsEmpty);
    }

    [Fact]
    public void Oversize_reply_is_too_long()
    {
        var oversize = new byte[283];
        VerReply.CopyTo(oversize, 0);

        Assert.Equal(ScpError.TooLong, ScpVersionInfo.TryRead(oversize, out _));
    }

    [Fact]
    public void Writer_rejects_strings_the_reply_cannot_carry()
    {
        var buffer = new byte[300];
        var header = SdpHeader.ScpRequest(0, 0, 0).ToReply();

        Assert.Throws<ArgumentException>(() => new ScpVersionInfo(0, 0, 0, 0, "a\0b"u8, "1"u8).TryWriteReply(buffer, header, 0, out _));
        Assert.Throws<ArgumentException>(() => new ScpVersionInfo(0, 0, 0, 0, ""u8, "1"u8).TryWriteReply(buffer, header, 0, out _));
        Assert.Throws<ArgumentException>(() => new ScpVersionInfo(0, 0, 0, 0, new byte[250], "123456"u8).TryWriteReply(buffer, header, 0, out _));
        Assert.False(new ScpVersionInfo(0, 0, 0, 0).TryWriteReply(new byte[47], header, 0, out _));
    }
}
