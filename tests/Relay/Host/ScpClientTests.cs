using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Host;

/// <summary>The client against a scripted fake board (a raw socket the test answers by hand).</summary>
public class ScpClientTests
{
    [Fact]
    public void Gives_up_after_its_attempts_having_resent_identical_bytes_and_names_board_and_command()
    {
        using var silentBoard = new RawUdp();
        using var client = new ScpClient(silentBoard.LocalEndPoint) { Timeout = TimeSpan.FromMilliseconds(20), Attempts = 3 };

        var ex = Assert.Throws<ScpClientException>(() => client.Read(0x1000, new byte[8]));

        Assert.Equal((ScpFailure.Timeout, ScpCommand.Read, (ScpResult?)null), (ex.Failure, ex.Command, ex.Result));
        Assert.Equal(silentBoard.LocalEndPoint, ex.Target);
        Assert.Contains($"SCP READ to {silentBoard.LocalEndPoint}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("3 attempts", ex.Message, StringComparison.Ordinal);
        var first = silentBoard.Receive();
        Assert.Equal(first, silentBoard.Receive());
        Assert.Equal(first, silentBoard.Receive());
        Assert.Equal(2, client.Retransmissions);
    }

    [Fact]
    public async Task Ignores_stale_sequence_numbers_other_senders_and_RC_SUM()
    {
        using var board = new RawUdp();
        using var stranger = new RawUdp();
        using var client = new ScpClient(board.LocalEndPoint) { Timeout = TimeSpan.FromSeconds(5) };

        var call = Task.Run(() => client.Version());
        var request = board.Receive(out var from);
        Assert.Equal(client.LocalEndPoint, from);
        Assert.Equal(ScpError.None, ScpMessage.TryRead(request, 3, out var m));
        var header = m.Header.ToReply();
        var seq = m.Sequence;

        board.Send(Reply(header, ScpResult.Ok, (ushort)(seq - 1), "stale"), from);            // a late duplicate
        stranger.Send(Reply(header, ScpResult.Ok, seq, "stranger"), from);                    // not the board
        board.Send(Error(header, ScpResult.Sum, seq), from);                                  // rig: treat as lost
        board.Send(Reply(header, ScpResult.Ok, seq, "right"), from);

        var version = await call.WaitAsync(Loopback.Limit);
        Assert.Equal("right", version.Name);
    }

    [Fact]
    public async Task Error_reply_fails_at_once_naming_the_code()
    {
        using var board = new RawUdp();
        using var client = new ScpClient(board.LocalEndPoint) { Timeout = TimeSpan.FromSeconds(5) };

        var call = Task.Run(() => client.Write(0, new byte[4]));
        var request = board.Receive(out var from);
        ScpMessage.TryRead(request, 3, out var m);
        board.Send(Error(m.Header.ToReply(), ScpResult.Arg, m.Sequence), from);

        var ex = await Assert.ThrowsAsync<ScpClientException>(() => call.WaitAsync(Loopback.Limit));
        Assert.Equal((ScpFailure.ErrorReply, ScpResult.Arg), (ex.Failure, ex.Result));
        Assert.Contains("RC_ARG (0x84)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.Retransmissions);
    }

    [Fact]
    public async Task Through_a_borrowed_non_blocking_socket_it_talks_and_leaves_the_socket_open()
    {
        using var board = new RawUdp();
        using var owned = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        Assert.False(owned.Underlying.Blocking);

        using (var client = new ScpClient(board.LocalEndPoint, owned.Underlying) { Timeout = TimeSpan.FromSeconds(5) })
        {
            Assert.Equal(owned.LocalEndPoint, client.LocalEndPoint);
            var call = Task.Run(() => client.Version());
            var request = board.Receive(out var from);
            Assert.Equal(owned.LocalEndPoint, from);
            Assert.Equal(ScpError.None, ScpMessage.TryRead(request, 3, out var m));
            board.Send(Reply(m.Header.ToReply(), ScpResult.Ok, m.Sequence, "borrowed"), from);
            Assert.Equal("borrowed", (await call.WaitAsync(Loopback.Limit)).Name);
        }

        // Still open and bound to the same port: what the board sends there next is still received.
        board.Send([1, 2, 3], owned.LocalEndPoint);
        Assert.True(owned.Underlying.Poll(Loopback.Limit, SelectMode.SelectRead));
        var buffer = new byte[16];
        Assert.Equal(3, owned.Underlying.Receive(buffer));
    }

    [Fact]
    public void Tags_and_ports_out_of_range_are_caller_errors()
    {
        using var client = new ScpClient(new IPEndPoint(IPAddress.Loopback, 9));

        Assert.Throws<ArgumentOutOfRangeException>(() => client.SetIpTag(8, null, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => client.SetIpTag(1, null, 65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => client.GetIpTag(16));
        Assert.Throws<ArgumentException>(() => client.SetIpTag(1, IPAddress.IPv6Loopback, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => client.Timeout = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => client.Attempts = 0);
    }

    private static byte[] Reply(SdpHeader header, ScpResult rc, ushort seq, string name)
    {
        var info = new ScpVersionInfo(0, 0, 0, 0, System.Text.Encoding.ASCII.GetBytes(name), "4.0.0"u8);
        var buffer = new byte[SdpConstants.MaxDatagramLength];
        Assert.True(info.TryWriteReply(buffer, header, seq, out var n));
        if (rc != ScpResult.Ok)
        {
            buffer[10] = (byte)rc;
        }

        return buffer[..n];
    }

    private static byte[] Error(SdpHeader header, ScpResult rc, ushort seq)
    {
        var buffer = new byte[ScpMessage.MinLength];
        Assert.True(ScpMessage.TryWriteResponse(buffer, header, rc, seq, [], [], out _));
        return buffer;
    }
}
