using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Host;

/// <summary>Windowed memory transfers against the emulator (with and without lost datagrams) and a scripted fake board.</summary>
public class ScpWindowTests
{
    [Theory]
    [InlineData(0x6000_0000u, 100_003)] // word-aligned start, odd length: a byte-access tail
    [InlineData(0x6000_0002u, 4_096)]   // half-word aligned
    [InlineData(0x6000_0001u, 1)]
    public void What_is_written_reads_back_identical(uint address, int length)
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var window = new ScpWindow(board.ScpEndPoint);
        var data = new byte[length];
        new Random(length).NextBytes(data);

        window.Write(0, 0, address, data);
        var back = new byte[length];
        window.Read(0, 0, address, back);

        Assert.Equal(data, back);
        Assert.Equal(0, window.Retransmissions);
    }

    [Fact]
    public void Lost_requests_and_replies_are_resent_alone_and_the_data_stays_right()
    {
        using var board = new BoardEmulator(Loopback.Board() with { DropOneInN = 7 });
        using var window = new ScpWindow(board.ScpEndPoint) { Timeout = TimeSpan.FromMilliseconds(50), Attempts = 20 };
        var data = new byte[64 * 1024];
        new Random(3).NextBytes(data);

        window.Write(0, 0, 0x7000_0000, data);
        var back = new byte[data.Length];
        window.Read(0, 0, 0x7000_0000, back);

        Assert.Equal(data, back);
        Assert.True(window.Retransmissions > 0, "one datagram in seven was dropped, so some requests must have been resent");
    }

    [Fact]
    public async Task Keeps_its_window_of_requests_in_flight_and_takes_replies_in_any_order()
    {
        using var board = new RawUdp();
        using var window = new ScpWindow(board.LocalEndPoint, window: 4) { Timeout = TimeSpan.FromSeconds(5) };
        var result = new byte[4 * 256];

        var call = Task.Run(() => window.Read(3, 4, 0x1000, result));
        var requests = Enumerable.Range(0, 4).Select(_ => (Bytes: board.Receive(out var from), From: from)).ToList();
        Assert.False(call.IsCompleted); // all four were sent before any answer
        foreach (var (bytes, from) in Enumerable.Reverse(requests))
        {
            Assert.Equal(ScpError.None, ScpMessage.TryRead(bytes, 3, out var m));
            Assert.Equal((ScpCommand.Read, (byte)3, (byte)4), (m.Command, m.Header.DestX, m.Header.DestY));
            var fill = (byte)((m.Arg1 - 0x1000) / 256);
            board.Send(ReadReply(m.Header.ToReply(), m.Sequence, Enumerable.Repeat(fill, (int)m.Arg2).ToArray()), from);
            board.Send(ReadReply(m.Header.ToReply(), m.Sequence, new byte[(int)m.Arg2]), from); // a late duplicate: ignored
        }

        await call.WaitAsync(Loopback.Limit);
        Assert.Equal(Enumerable.Range(0, 4).SelectMany(i => Enumerable.Repeat((byte)i, 256)), result);
    }

    [Fact]
    public void Gives_up_after_a_request_s_attempts_naming_the_chip_and_address()
    {
        using var silentBoard = new RawUdp();
        using var window = new ScpWindow(silentBoard.LocalEndPoint) { Timeout = TimeSpan.FromMilliseconds(20), Attempts = 2 };

        var ex = Assert.Throws<ScpClientException>(() => window.Read(1, 2, 0x6000_0000, new byte[1000]));

        Assert.Equal((ScpFailure.Timeout, ScpCommand.Read), (ex.Failure, ex.Command));
        Assert.Contains("on chip (1, 2)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at 0x600000", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2 attempts", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_answer_fails_the_transfer_and_the_next_transfer_ignores_what_was_in_flight()
    {
        using var board = new RawUdp();
        using var window = new ScpWindow(board.LocalEndPoint, window: 2) { Timeout = TimeSpan.FromSeconds(5) };

        var call = Task.Run(() => window.Write(0, 0, 0x2000, new byte[512]));
        var first = board.Receive(out var from);
        var second = board.Receive();
        ScpMessage.TryRead(first, 3, out var m1);
        board.Send(Error(m1.Header.ToReply(), ScpResult.Arg, m1.Sequence), from);
        var ex = await Assert.ThrowsAsync<ScpClientException>(() => call.WaitAsync(Loopback.Limit));
        Assert.Equal((ScpFailure.ErrorReply, ScpResult.Arg), (ex.Failure, ex.Result));
        Assert.Contains("RC_ARG", ex.Message, StringComparison.Ordinal);

        // The second request's late answer must not complete a request of the next transfer.
        var next = Task.Run(() => window.Write(0, 0, 0x3000, new byte[4]));
        var third = board.Receive(out from);
        ScpMessage.TryRead(second, 3, out var m2);
        ScpMessage.TryRead(third, 3, out var m3);
        Assert.NotEqual(m2.Sequence, m3.Sequence);
        board.Send(Error(m2.Header.ToReply(), ScpResult.Ok, m2.Sequence), from);
        board.Send(Error(m3.Header.ToReply(), ScpResult.Ok, m3.Sequence), from);
        await next.WaitAsync(Loopback.Limit);
    }

    [Fact]
    public async Task A_read_reply_of_the_wrong_length_is_malformed()
    {
        using var board = new RawUdp();
        using var window = new ScpWindow(board.LocalEndPoint) { Timeout = TimeSpan.FromSeconds(5) };

        var call = Task.Run(() => window.Read(0, 0, 0, new byte[16]));
        var request = board.Receive(out var from);
        ScpMessage.TryRead(request, 3, out var m);
        board.Send(ReadReply(m.Header.ToReply(), m.Sequence, new byte[8]), from);

        var ex = await Assert.ThrowsAsync<ScpClientException>(() => call.WaitAsync(Loopback.Limit));
        Assert.Equal(ScpFailure.MalformedReply, ex.Failure);
    }

    [Fact]
    public void A_transfer_past_the_end_of_the_address_space_is_refused_before_sending()
    {
        using var board = new RawUdp();
        using var window = new ScpWindow(board.LocalEndPoint);

        Assert.Throws<ArgumentOutOfRangeException>(() => window.Read(0, 0, 0xFFFF_FF00, new byte[257]));
    }

    private static byte[] ReadReply(SdpHeader header, ushort sequence, byte[] data)
    {
        var buffer = new byte[SdpConstants.MaxDatagramLength];
        Assert.True(ScpMessage.TryWriteResponse(buffer, header, ScpResult.Ok, sequence, [], data, out var n));
        return buffer[..n];
    }

    private static byte[] Error(SdpHeader header, ScpResult rc, ushort sequence)
    {
        var buffer = new byte[64];
        Assert.True(ScpMessage.TryWriteResponse(buffer, header, rc, sequence, [], [], out var n));
        return buffer[..n];
    }
}
