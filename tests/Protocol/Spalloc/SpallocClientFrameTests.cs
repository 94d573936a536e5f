using FastSpinnRelay.Protocol.Spalloc;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Spalloc;

public class SpallocClientFrameTests
{
    public static TheoryData<int> Ops() => new(0, 1, 2, 3, 4);

    [Fact]
    public void Open_is_five_little_endian_words()
    {
        byte[] bytes = Hex.Bytes(SpallocFrameSamples.Client[0]);

        Assert.Equal(SpallocFrameError.None, SpallocClientFrame.TryRead(bytes, out SpallocClientFrame frame));
        Assert.Equal((SpallocOp.Open, 7u, 1u, 2u, 17893u), (frame.Op, frame.CorrelationId, frame.ChipX, frame.ChipY, frame.Port));
        Assert.Equal(0u, frame.ChannelId);
        Assert.True(frame.Payload.IsEmpty);
    }

    [Fact]
    public void Every_field_of_every_client_frame_reads_as_written_by_hand()
    {
        SpallocClientFrame.TryRead(Hex.Bytes(SpallocFrameSamples.Client[1]), out SpallocClientFrame close);
        Assert.Equal((SpallocOp.Close, 7u, 42u), (close.Op, close.CorrelationId, close.ChannelId));

        SpallocClientFrame.TryRead(Hex.Bytes(SpallocFrameSamples.Client[2]), out SpallocClientFrame message);
        Assert.Equal((SpallocOp.Message, 42u), (message.Op, message.ChannelId));
        Assert.Equal(Hex.Bytes("0000 01020304"), message.Payload.ToArray());

        SpallocClientFrame.TryRead(Hex.Bytes(SpallocFrameSamples.Client[3]), out SpallocClientFrame unbound);
        Assert.Equal((SpallocOp.OpenUnbound, 8u), (unbound.Op, unbound.CorrelationId));

        SpallocClientFrame.TryRead(Hex.Bytes(SpallocFrameSamples.Client[4]), out SpallocClientFrame messageTo);
        Assert.Equal((SpallocOp.MessageTo, 43u, 0u, 0u, 17893u), (messageTo.Op, messageTo.ChannelId, messageTo.ChipX, messageTo.ChipY, messageTo.Port));
        Assert.Equal(Hex.Bytes("AABB"), messageTo.Payload.ToArray());
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Hand_vectors_are_rewritten_byte_exact(int op)
    {
        byte[] bytes = Hex.Bytes(SpallocFrameSamples.Client[op]);
        var buffer = new byte[64];

        int written = SpallocFrameSamples.RewriteClient(bytes, buffer);

        Assert.Equal(bytes, buffer.AsSpan(0, written).ToArray());
        Assert.Equal(-1, SpallocFrameSamples.RewriteClient(bytes, buffer.AsSpan(0, bytes.Length - 1)));
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Every_truncated_prefix_is_malformed_with_the_right_reason(int op)
    {
        byte[] bytes = Hex.Bytes(SpallocFrameSamples.Client[op]);
        int fixedPart = op switch { 2 => 8, 4 => 20, _ => bytes.Length };

        for (int length = 0; length < bytes.Length; length++)
        {
            SpallocFrameError expected = length < 4 ? SpallocFrameError.TooShort
                : op is 2 or 4 ? (length < fixedPart ? SpallocFrameError.TooShort : SpallocFrameError.None) // a shorter payload is still a payload
                : SpallocFrameError.WrongLength;
            Assert.Equal(expected, SpallocClientFrame.TryRead(bytes.AsSpan(0, length), out _));
        }
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Oversize_fixed_frames_are_the_wrong_length_and_payloads_have_no_limit(int op)
    {
        byte[] longer = [.. Hex.Bytes(SpallocFrameSamples.Client[op]), .. new byte[65536]];

        SpallocFrameError error = SpallocClientFrame.TryRead(longer, out SpallocClientFrame frame);

        Assert.Equal(op is 2 or 4 ? SpallocFrameError.None : SpallocFrameError.WrongLength, error);
        if (error == SpallocFrameError.None)
        {
            Assert.Equal(longer.Length - (op == 2 ? 8 : 20), frame.Payload.Length);
        }
    }

    [Theory]
    [InlineData("05000000 07000000 41", SpallocFrameError.OpNotAllowed)] // ERROR is server-only
    [InlineData("06000000 07000000", SpallocFrameError.UnknownOp)]
    [InlineData("FFFFFFFF", SpallocFrameError.UnknownOp)]
    [InlineData("00000001 07000000 01000000 02000000 E5450000", SpallocFrameError.UnknownOp)] // op word is little-endian
    public void Ops_the_server_must_not_accept(string hex, SpallocFrameError expected) =>
        Assert.Equal(expected, SpallocClientFrame.TryRead(Hex.Bytes(hex), out _));

    [Theory]
    [InlineData(0, 0u)]
    [InlineData(0, 65536u)]
    [InlineData(0, uint.MaxValue)]
    [InlineData(4, 0u)]
    [InlineData(4, 65536u)]
    public void Bad_port_is_reported_with_the_id_the_server_needs_to_answer(int op, uint port)
    {
        byte[] bytes = Hex.Bytes(SpallocFrameSamples.Client[op]);
        BitConverter.TryWriteBytes(bytes.AsSpan(16), port);

        Assert.Equal(SpallocFrameError.BadPort, SpallocClientFrame.TryRead(bytes, out SpallocClientFrame frame));
        Assert.Equal(((SpallocOp)op, port), (frame.Op, frame.Port));
        Assert.Equal(op == 0 ? 7u : 43u, op == 0 ? frame.CorrelationId : frame.ChannelId); // OPEN answers ERROR by corr; MSG_TO closes
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(54321u)]
    [InlineData(65535u)]
    public void Any_port_from_1_to_65535_is_accepted(uint port)
    {
        var buffer = new byte[20];
        Assert.True(SpallocFrameWriter.TryWriteOpen(buffer, 1, 2, 3, port, out _));

        Assert.Equal(SpallocFrameError.None, SpallocClientFrame.TryRead(buffer, out SpallocClientFrame frame));
        Assert.Equal(port, frame.Port);
    }

    [Fact]
    public void Random_client_frames_round_trip()
    {
        var rng = new Random(7);
        var buffer = new byte[600];
        var payload = new byte[300];
        for (int i = 0; i < 2000; i++)
        {
            uint a = (uint)rng.NextInt64(), b = (uint)rng.NextInt64(), c = (uint)rng.NextInt64();
            uint port = (uint)rng.Next(1, 65536);
            int payloadLength = rng.Next(payload.Length + 1);
            rng.NextBytes(payload);
            var op = (SpallocOp)rng.Next(5);
            int written = op switch
            {
                SpallocOp.Open => Write(SpallocFrameWriter.TryWriteOpen(buffer, a, b, c, port, out int n), n),
                SpallocOp.Close => Write(SpallocFrameWriter.TryWriteClose(buffer, a, b, out int n), n),
                SpallocOp.Message => Write(SpallocFrameWriter.TryWriteMessage(buffer, a, payload.AsSpan(0, payloadLength), out int n), n),
                SpallocOp.OpenUnbound => Write(SpallocFrameWriter.TryWriteOpenUnbound(buffer, a, out int n), n),
                _ => Write(SpallocFrameWriter.TryWriteMessageTo(buffer, a, b, c, port, payload.AsSpan(0, payloadLength), out int n), n),
            };

            Assert.Equal(SpallocFrameError.None, SpallocClientFrame.TryRead(buffer.AsSpan(0, written), out SpallocClientFrame frame));
            Assert.Equal(op, frame.Op);
            switch (op)
            {
                case SpallocOp.Open: Assert.Equal((a, b, c, port), (frame.CorrelationId, frame.ChipX, frame.ChipY, frame.Port)); break;
                case SpallocOp.Close: Assert.Equal((a, b), (frame.CorrelationId, frame.ChannelId)); break;
                case SpallocOp.OpenUnbound: Assert.Equal(a, frame.CorrelationId); break;
                case SpallocOp.Message: Assert.Equal(a, frame.ChannelId); break;
                default: Assert.Equal((a, b, c, port), (frame.ChannelId, frame.ChipX, frame.ChipY, frame.Port)); break;
            }

            if (op is SpallocOp.Message or SpallocOp.MessageTo)
            {
                Assert.True(frame.Payload.SequenceEqual(payload.AsSpan(0, payloadLength)));
            }
        }

        static int Write(bool ok, int written)
        {
            Assert.True(ok);
            return written;
        }
    }

    [Fact]
    public void Header_only_writers_leave_room_for_a_datagram_received_in_place()
    {
        var buffer = new byte[20 + 3];
        Assert.True(SpallocFrameWriter.TryWriteMessageToHeader(buffer, 9, 1, 2, 54321));
        buffer[20] = 1; buffer[21] = 2; buffer[22] = 3;

        Assert.Equal(SpallocFrameError.None, SpallocClientFrame.TryRead(buffer, out SpallocClientFrame frame));
        Assert.Equal((SpallocOp.MessageTo, 9u, 54321u), (frame.Op, frame.ChannelId, frame.Port));
        Assert.Equal([1, 2, 3], frame.Payload.ToArray());
        Assert.False(SpallocFrameWriter.TryWriteMessageToHeader(buffer.AsSpan(0, 19), 9, 1, 2, 54321));
    }

    [Fact]
    public void Writer_port_bugs_throw()
    {
        var buffer = new byte[64];

        Assert.Throws<ArgumentOutOfRangeException>(() => SpallocFrameWriter.TryWriteOpen(buffer, 0, 0, 0, 0, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpallocFrameWriter.TryWriteMessageTo(buffer, 0, 0, 0, 65536, [], out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpallocFrameWriter.TryWriteMessageToHeader(buffer, 0, 0, 0, 0));
    }
}
