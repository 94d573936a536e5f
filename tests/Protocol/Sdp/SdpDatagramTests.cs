using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Sdp;

public class SdpDatagramTests
{
    // pad | flags 87 | tag FF | dest p/c 21 | src p/c FF | dest y 02 x 01 | src y 04 x 03 | payload AA BB
    private static readonly byte[] Vector = Hex.Bytes("0000 87 FF 21 FF 02 01 04 03 AA BB");

    [Fact]
    public void Reads_header_with_y_before_x_and_payload()
    {
        Assert.Equal(SdpError.None, SdpDatagram.TryRead(Vector, out SdpDatagram datagram));

        Assert.Equal(new SdpHeader(0x87, 0xFF, 0x21, 0xFF, DestX: 1, DestY: 2, SrcX: 3, SrcY: 4), datagram.Header);
        Assert.True(datagram.Header.ReplyWanted);
        Assert.Equal(0x0102, datagram.Header.DestAddress);
        Assert.Equal(0x0304, datagram.Header.SrcAddress);
        Assert.Equal(Hex.Bytes("AABB"), datagram.Payload.ToArray());
    }

    [Fact]
    public void Ignores_pad_bytes_as_the_board_does()
    {
        byte[] padded = (byte[])Vector.Clone();
        padded[0] = 0x12;
        padded[1] = 0x34;

        Assert.Equal(SdpError.None, SdpDatagram.TryRead(padded, out SdpDatagram datagram));
        Assert.Equal(1, datagram.Header.DestX);
    }

    [Fact]
    public void Writes_the_same_bytes_it_reads()
    {
        var header = new SdpHeader(0x87, 0xFF, 0x21, 0xFF, DestX: 1, DestY: 2, SrcX: 3, SrcY: 4);
        var buffer = new byte[64];

        Assert.True(SdpDatagram.TryWrite(buffer, header, Hex.Bytes("AABB"), out int written));

        Assert.Equal(Hex.Of(Vector), Hex.Of(buffer.AsSpan(0, written)));
    }

    [Fact]
    public void Round_trips_random_headers_and_payloads()
    {
        var random = new Random(17893);
        var header = new byte[8];
        var buffer = new byte[SdpConstants.MaxDatagramLength];
        for (int i = 0; i < 1000; i++)
        {
            random.NextBytes(header);
            var sent = new SdpHeader(header[0], header[1], header[2], header[3], header[4], header[5], header[6], header[7]);
            byte[] payload = new byte[random.Next(SdpConstants.MaxPayloadLength + 1)];
            random.NextBytes(payload);

            Assert.True(SdpDatagram.TryWrite(buffer, sent, payload, out int written));
            Assert.Equal(SdpError.None, SdpDatagram.TryRead(buffer.AsSpan(0, written), out SdpDatagram read));

            Assert.Equal(sent, read.Header);
            Assert.True(read.Payload.SequenceEqual(payload));
        }
    }

    public static TheoryData<int> HeaderPrefixLengths() => [.. Enumerable.Range(0, SdpConstants.UdpHeaderLength)];

    [Theory]
    [MemberData(nameof(HeaderPrefixLengths))]
    public void Every_prefix_shorter_than_the_header_is_too_short(int length)
    {
        Assert.Equal(SdpError.TooShort, SdpDatagram.TryRead(Vector.AsSpan(0, length), out SdpDatagram datagram));
        Assert.Equal(default, datagram.Header);
    }

    [Fact]
    public void Accepts_282_bytes_and_rejects_283()
    {
        var datagram = new byte[SdpConstants.MaxDatagramLength + 1];

        Assert.Equal(SdpError.None, SdpDatagram.TryRead(datagram.AsSpan(0, 282), out SdpDatagram max));
        Assert.Equal(272, max.Payload.Length);
        Assert.Equal(SdpError.TooLong, SdpDatagram.TryRead(datagram, out _));
    }

    [Fact]
    public void Writer_reports_a_small_destination_and_throws_for_an_oversize_payload()
    {
        var header = SdpHeader.ScpRequest(0, 0, 0);
        for (int size = 0; size < 12; size++)
        {
            Assert.False(SdpDatagram.TryWrite(new byte[size], header, new byte[2], out int written));
            Assert.Equal(0, written);
        }

        Assert.Throws<ArgumentOutOfRangeException>(
            () => SdpDatagram.TryWrite(new byte[400], header, new byte[273], out _));
    }

    [Fact]
    public void Reply_header_clears_the_reply_bit_and_swaps_ports_and_chips()
    {
        var request = new SdpHeader(0x87, 0xFF, 0x21, 0xFF, DestX: 1, DestY: 2, SrcX: 3, SrcY: 4);

        SdpHeader reply = request.ToReply();

        Assert.Equal(new SdpHeader(0x07, 0xFF, 0xFF, 0x21, DestX: 3, DestY: 4, SrcX: 1, SrcY: 2), reply);
        Assert.False(reply.ReplyWanted);
        Assert.Equal(0xA7 & 0x7F, new SdpHeader(0xA7, 0, 0, 0, 0, 0, 0, 0).ToReply().Flags);
    }

    [Fact]
    public void Scp_request_header_is_what_a_host_sends()
    {
        Assert.Equal(new SdpHeader(0x87, 0xFF, 0x03, 0xFF, 5, 6, 0, 0), SdpHeader.ScpRequest(5, 6, 3));
        Assert.Equal(0x07, SdpHeader.ScpRequest(5, 6, 3, replyWanted: false).Flags);
    }

    [Theory]
    [InlineData(0, 0, 0x00)]
    [InlineData(1, 2, 0x22)]
    [InlineData(7, 31, 0xFF)]
    [InlineData(7, 0, 0xE0)]
    public void Port_cpu_byte_packs_port_above_cpu(int port, int cpu, int expected)
    {
        byte packed = SdpPortCpu.Encode(port, cpu);

        Assert.Equal(expected, packed);
        Assert.Equal(port, SdpPortCpu.Port(packed));
        Assert.Equal(cpu, SdpPortCpu.Cpu(packed));
    }

    [Theory]
    [InlineData(8, 0)]
    [InlineData(-1, 0)]
    [InlineData(0, 32)]
    [InlineData(0, -1)]
    public void Port_cpu_byte_rejects_out_of_range_values(int port, int cpu) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SdpPortCpu.Encode(port, cpu));
}
