using System.Text;
using FastSpinnRelay.Protocol.Spalloc;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Spalloc;

public class SpallocServerFrameTests
{
    public static TheoryData<int> Frames() => new(0, 1, 2, 3, 4);

    [Fact]
    public void Open_unbound_reply_carries_the_address_in_network_order()
    {
        byte[] bytes = Hex.Bytes(SpallocFrameSamples.Server[3]);

        Assert.Equal(SpallocFrameError.None, SpallocServerFrame.TryRead(bytes, out SpallocServerFrame frame));
        Assert.Equal((SpallocOp.OpenUnbound, 8u, 43u, 12345u), (frame.Op, frame.CorrelationId, frame.ChannelId, frame.Port));
        Assert.Equal(new byte[] { 0x7F, 0x00, 0x00, 0x01 }, frame.Ipv4Address.ToArray());

        var buffer = new byte[20];
        Assert.True(SpallocFrameWriter.TryWriteOpenUnboundReply(buffer, 8, 43, [127, 0, 0, 1], 12345, out int written));
        Assert.Equal(bytes, buffer.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void Every_field_of_every_server_frame_reads_as_written_by_hand()
    {
        SpallocServerFrame.TryRead(Hex.Bytes(SpallocFrameSamples.Server[0]), out SpallocServerFrame open);
        Assert.Equal((SpallocOp.Open, 7u, 42u), (open.Op, open.CorrelationId, open.ChannelId));

        SpallocServerFrame.TryRead(Hex.Bytes(SpallocFrameSamples.Server[1]), out SpallocServerFrame close);
        Assert.Equal((SpallocOp.Close, 7u, 0u), (close.Op, close.CorrelationId, close.ChannelId));

        SpallocServerFrame.TryRead(Hex.Bytes(SpallocFrameSamples.Server[2]), out SpallocServerFrame message);
        Assert.Equal((SpallocOp.Message, 42u), (message.Op, message.ChannelId));
        Assert.Equal(Hex.Bytes("DEAD"), message.Payload.ToArray());
        Assert.True(message.ErrorUtf8.IsEmpty);
        Assert.True(message.Ipv4Address.IsEmpty);

        SpallocServerFrame.TryRead(Hex.Bytes(SpallocFrameSamples.Server[4]), out SpallocServerFrame error);
        Assert.Equal((SpallocOp.Error, 7u), (error.Op, error.CorrelationId));
        Assert.Equal("bad port number", Encoding.UTF8.GetString(error.ErrorUtf8));
        Assert.True(error.Payload.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Hand_vectors_are_rewritten_byte_exact(int index)
    {
        byte[] bytes = Hex.Bytes(SpallocFrameSamples.Server[index]);
        var buffer = new byte[64];

        int written = SpallocFrameSamples.RewriteServer(bytes, buffer);

        Assert.Equal(bytes, buffer.AsSpan(0, written).ToArray());
        Assert.Equal(-1, SpallocFrameSamples.RewriteServer(bytes, buffer.AsSpan(0, bytes.Length - 1)));
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Every_truncated_prefix_is_malformed_with_the_right_reason(int index)
    {
        byte[] bytes = Hex.Bytes(SpallocFrameSamples.Server[index]);
        bool variable = index is 2 or 4; // MSG and ERROR: fixed part 8 bytes, then payload or text

        for (int length = 0; length < bytes.Length; length++)
        {
            SpallocFrameError expected = length < 4 ? SpallocFrameError.TooShort
                : variable ? (length < 8 ? SpallocFrameError.TooShort : SpallocFrameError.None)
                : SpallocFrameError.WrongLength;
            Assert.Equal(expected, SpallocServerFrame.TryRead(bytes.AsSpan(0, length), out _));
        }
    }

    [Theory]
    [MemberData(nameof(Frames))]
    public void Oversize_replies_are_the_wrong_length(int index)
    {
        byte[] longer = [.. Hex.Bytes(SpallocFrameSamples.Server[index]), 0];

        Assert.Equal(index is 2 or 4 ? SpallocFrameError.None : SpallocFrameError.WrongLength, SpallocServerFrame.TryRead(longer, out _));
    }

    [Theory]
    [InlineData("04000000 2B000000 00000000 00000000 E5450000", SpallocFrameError.OpNotAllowed)] // MSG_TO is client-only
    [InlineData("06000000 00000000", SpallocFrameError.UnknownOp)]
    [InlineData("030000", SpallocFrameError.TooShort)]
    [InlineData("03000000 08000000 2B000000 7F000001 00000000", SpallocFrameError.BadPort)]
    [InlineData("03000000 08000000 2B000000 7F000001 00000100", SpallocFrameError.BadPort)]
    public void Frames_a_client_must_not_accept(string hex, SpallocFrameError expected) =>
        Assert.Equal(expected, SpallocServerFrame.TryRead(Hex.Bytes(hex), out _));

    [Fact]
    public void Error_text_is_cut_to_1000_bytes_at_a_character_boundary()
    {
        var buffer = new byte[1100];
        var fromCharsBuffer = new byte[1100];
        string text = new string('a', 999) + "é" + "tail"; // é is 2 bytes in UTF-8: bytes 999-1000 straddle the limit
        byte[] utf8 = Encoding.UTF8.GetBytes(text);

        Assert.True(SpallocFrameWriter.TryWriteError(buffer, 3, utf8, out int fromBytes));
        Assert.Equal(8 + 999, fromBytes);
        Assert.True(SpallocFrameWriter.TryWriteError(fromCharsBuffer, 3, text, out int fromChars));
        Assert.Equal(8 + 999, fromChars);
        Assert.True(buffer.AsSpan(0, fromBytes).SequenceEqual(fromCharsBuffer.AsSpan(0, fromChars)));

        Assert.Equal(SpallocFrameError.None, SpallocServerFrame.TryRead(buffer.AsSpan(0, fromBytes), out SpallocServerFrame frame));
        Assert.Equal(new string('a', 999), Encoding.UTF8.GetString(frame.ErrorUtf8));

        Assert.True(SpallocFrameWriter.TryWriteError(buffer, 3, new string('b', 5000), out int longAscii));
        Assert.Equal(8 + 1000, longAscii);
    }

    [Fact]
    public void Error_writer_reports_a_short_destination()
    {
        Assert.False(SpallocFrameWriter.TryWriteError(new byte[7], 1, "x", out int none));
        Assert.Equal(0, none);
        Assert.False(SpallocFrameWriter.TryWriteError(new byte[8 + 4], 1, "bad port number", out none));
        Assert.Equal(0, none);
        Assert.True(SpallocFrameWriter.TryWriteError(new byte[8 + 15], 1, "bad port number", out int written));
        Assert.Equal(23, written);
        Assert.True(SpallocFrameWriter.TryWriteError(new byte[8], 1, "", out written));
        Assert.Equal(8, written);
    }

    [Fact]
    public void Random_server_frames_round_trip()
    {
        var rng = new Random(11);
        var buffer = new byte[1200];
        var payload = new byte[300];
        var ip = new byte[4];
        for (int i = 0; i < 2000; i++)
        {
            uint a = (uint)rng.NextInt64(), b = (uint)rng.NextInt64();
            uint port = (uint)rng.Next(1, 65536);
            int payloadLength = rng.Next(payload.Length + 1);
            rng.NextBytes(payload);
            rng.NextBytes(ip);
            int kind = rng.Next(5);
            bool ok;
            int written;
            switch (kind)
            {
                case 0: ok = SpallocFrameWriter.TryWriteOpenReply(buffer, a, b, out written); break;
                case 1: ok = SpallocFrameWriter.TryWriteCloseReply(buffer, a, b, out written); break;
                case 2: ok = SpallocFrameWriter.TryWriteMessage(buffer, a, payload.AsSpan(0, payloadLength), out written); break;
                case 3: ok = SpallocFrameWriter.TryWriteOpenUnboundReply(buffer, a, b, ip, port, out written); break;
                default: ok = SpallocFrameWriter.TryWriteError(buffer, a, payload.AsSpan(0, payloadLength), out written); break;
            }

            Assert.True(ok);
            Assert.Equal(SpallocFrameError.None, SpallocServerFrame.TryRead(buffer.AsSpan(0, written), out SpallocServerFrame frame));
            Assert.Equal(kind == 4 ? SpallocOp.Error : (SpallocOp)kind, frame.Op);
            Assert.Equal(a, kind == 2 ? frame.ChannelId : frame.CorrelationId);
            if (kind is 0 or 1 or 3)
            {
                Assert.Equal(b, frame.ChannelId);
            }

            if (kind == 3)
            {
                Assert.Equal(port, frame.Port);
                Assert.Equal(ip, frame.Ipv4Address.ToArray());
            }

            if (kind is 2 or 4)
            {
                // Random bytes as error text: cut only where they exceed 1000 bytes, and 300 never do.
                Assert.True((kind == 2 ? frame.Payload : frame.ErrorUtf8).SequenceEqual(payload.AsSpan(0, payloadLength)));
            }
        }
    }

    [Fact]
    public void Writer_address_and_port_bugs_throw()
    {
        var buffer = new byte[64];

        Assert.Throws<ArgumentException>(() => SpallocFrameWriter.TryWriteOpenUnboundReply(buffer, 0, 1, [127, 0, 0], 1, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpallocFrameWriter.TryWriteOpenUnboundReply(buffer, 0, 1, [127, 0, 0, 1], 0, out _));
    }
}
