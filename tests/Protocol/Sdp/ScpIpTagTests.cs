using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Sdp;

public class ScpIpTagTests
{
    [Fact]
    public void Decodes_a_use_sender_strip_set_of_tag_3()
    {
        // bit 30 USE_SENDER | bit 28 STRIP | sub-op 1 (SET) << 16 | tag 3
        ScpIpTagArg1 arg1 = ScpIpTagArg1.Decode(0x5001_0003);

        Assert.Equal(new ScpIpTagArg1(3, ScpIpTagOperation.Set, Strip: true, UseSender: true), arg1);
        Assert.Equal(0x5001_0003u, arg1.Encode());
    }

    [Fact]
    public void Encodes_a_reverse_set_with_port_cpu_and_timeout()
    {
        var arg1 = new ScpIpTagArg1(
            1, ScpIpTagOperation.Set, PortCpu: SdpPortCpu.Encode(1, 2), TimeoutCode: 9, Reverse: true);

        Assert.Equal(0x2901_2201u, arg1.Encode());
        Assert.Equal(arg1, ScpIpTagArg1.Decode(0x2901_2201));
    }

    [Fact]
    public void Every_field_combination_round_trips()
    {
        for (int op = 0; op <= 5; op++)
        {
            for (int code = 0; code <= ScpIpTagArg1.MaxTimeoutCode; code++)
            {
                for (int bits = 0; bits < 8; bits++)
                {
                    var arg1 = new ScpIpTagArg1(
                        (byte)(op * 3), (ScpIpTagOperation)op, (byte)(code * 16), (byte)code,
                        (bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0);

                    Assert.Equal(arg1, ScpIpTagArg1.Decode(arg1.Encode()));
                }
            }
        }
    }

    [Fact]
    public void Decode_drops_bit_31_and_never_fails()
    {
        ScpIpTagArg1 all = ScpIpTagArg1.Decode(uint.MaxValue);

        Assert.Equal((ScpIpTagOperation)255, all.Operation);
        Assert.Equal(15, all.TimeoutCode);
        Assert.Equal(0x7FFF_FFFFu, all.Encode());
    }

    [Fact]
    public void Timeout_code_over_15_is_a_caller_bug() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScpIpTagArg1(0, ScpIpTagOperation.Set, TimeoutCode: 16).Encode());

    [Fact]
    public void IPv4_has_the_first_octet_in_the_least_significant_byte()
    {
        uint arg3 = ScpIpTag.EncodeIPv4(192, 168, 1, 5);
        var bytes = new byte[4];
        ScpIpTag.DecodeIPv4(arg3, bytes);

        Assert.Equal(0x0501_A8C0u, arg3);
        Assert.Equal(arg3, ScpIpTag.EncodeIPv4(Hex.Bytes("C0A80105")));
        Assert.Equal(Hex.Bytes("C0A80105"), bytes);
        Assert.Throws<ArgumentException>(() => ScpIpTag.EncodeIPv4(new byte[3]));
        Assert.Throws<ArgumentException>(() => ScpIpTag.DecodeIPv4(0, new byte[3]));
    }

    [Fact]
    public void Reverse_set_arg2_carries_x_y_and_rx_port()
    {
        var target = new ScpReverseTagTarget(DestX: 1, DestY: 2, RxPort: 12345);

        Assert.Equal(0x0102_3039u, target.Encode());
        Assert.Equal(target, ScpReverseTagTarget.Decode(0x0102_3039));
    }

    [Fact]
    public void Transient_timeout_reply_arg1_reports_table_shape_and_old_code() =>
        Assert.Equal(0x0808_2009u, ScpIpTag.TimeoutReplyArg1(9));

    // 10.0.0.2, MAC 02:11:22:33:44:55, tx port 17894, timeout 0, flags VALID|STRIP, count 7,
    // rx port 0x1234, dest (1,2), dest port/cpu 0x21, padding.
    private static readonly byte[] EntryBytes = Hex.Bytes(
        "0A000002 021122334455 E645 0000 0081 07000000 3412 0201 21 00000000000000");

    private static readonly ScpIpTagEntry Entry = new(
        ScpIpTag.EncodeIPv4(10, 0, 0, 2), 0x5544_3322_1102, 17894, 0, ScpIpTagFlags.Valid | ScpIpTagFlags.Strip, 7,
        0x1234, 0x0102, 0x21);

    [Fact]
    public void Entry_layout_is_32_bytes_little_endian()
    {
        var buffer = new byte[40];
        buffer.AsSpan().Fill(0xEE);

        Assert.True(Entry.TryWrite(buffer, out int written));

        Assert.Equal(32, written);
        Assert.Equal(Hex.Of(EntryBytes), Hex.Of(buffer.AsSpan(0, 32)));
        Assert.Equal(0xEE, buffer[32]);
        Assert.Equal(ScpError.None, ScpIpTagEntry.TryRead(EntryBytes, out ScpIpTagEntry read));
        Assert.Equal(Entry, read);
        Assert.True(read.IsValid);
    }

    [Fact]
    public void Every_truncated_entry_is_too_short_and_small_destinations_are_refused()
    {
        for (int length = 0; length < ScpIpTagEntry.Length; length++)
        {
            Assert.Equal(ScpError.IpTagEntryTooShort, ScpIpTagEntry.TryRead(EntryBytes.AsSpan(0, length), out ScpIpTagEntry e));
            Assert.Equal(default, e);
            Assert.False(Entry.TryWrite(new byte[length], out int written));
            Assert.Equal(0, written);
        }
    }

    [Fact]
    public void Get_reply_carries_entries_where_arg1_would_be()
    {
        var data = new byte[2 * ScpIpTagEntry.Length];
        Assert.True(Entry.TryWrite(data, out _));
        Assert.True((Entry with { Count = 8 }).TryWrite(data.AsSpan(ScpIpTagEntry.Length), out _));
        var buffer = new byte[300];
        var reply = SdpHeader.ScpRequest(0, 0, 0).ToReply();
        Assert.True(ScpMessage.TryWriteResponse(buffer, reply, ScpResult.Ok, 9, [], data, out int written));

        Assert.Equal(ScpError.None, ScpMessage.TryRead(buffer.AsSpan(0, written), 0, out ScpMessage message));
        Assert.Equal(2, message.Data.Length / ScpIpTagEntry.Length);
        Assert.Equal(ScpError.None, ScpIpTagEntry.TryRead(message.Data[ScpIpTagEntry.Length..], out ScpIpTagEntry second));
        Assert.Equal(8u, second.Count);
        Assert.Equal(8, ScpIpTagEntry.MaxPerReply);
    }
}
