using System.Net;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Emulator;

public class BoardEmulatorIpTagTests
{
    private static readonly uint Loopback127 = ScpIpTag.EncodeIPv4(127, 0, 0, 1);

    [Fact]
    public void Get_returns_what_set_stored()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);

        Assert.Equal(3, client.SetIpTag(3, IPAddress.Parse("10.1.2.3"), 40000, strip: true));
        var entry = client.GetIpTag(3);

        Assert.True(entry.IsValid);
        Assert.Equal(ScpIpTag.EncodeIPv4(10, 1, 2, 3), entry.IPv4);
        Assert.Equal(40000, entry.TxPort);
        Assert.Equal(ScpIpTagFlags.Valid | ScpIpTagFlags.Strip, entry.Flags & (ScpIpTagFlags)0xFF00);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 40000), board.Tags.Get(3)!.Destination);
    }

    [Fact]
    public void Use_sender_takes_address_and_port_of_the_requesting_socket()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);

        client.SetIpTag(1, null, 0, strip: true, useSender: true);
        var entry = client.GetIpTag(1);

        Assert.Equal(Loopback127, entry.IPv4);
        Assert.Equal(client.LocalEndPoint.Port, entry.TxPort);
        Assert.Equal(ScpIpTagFlags.Valid | ScpIpTagFlags.Strip | ScpIpTagFlags.UseSender, entry.Flags & (ScpIpTagFlags)0xFF00);
    }

    [Fact]
    public void Address_0_without_use_sender_takes_the_senders_address_and_the_given_port()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);

        client.SetIpTag(2, null, 12345);
        var entry = client.GetIpTag(2);

        Assert.Equal(Loopback127, entry.IPv4);
        Assert.Equal(12345, entry.TxPort);
        Assert.Equal(ScpIpTagFlags.Valid, entry.Flags & (ScpIpTagFlags)0xFF00);
    }

    [Fact]
    public void Clear_frees_the_tag_and_new_takes_the_lowest_free_one_above_0()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);
        client.SetIpTag(1, IPAddress.Loopback, 1000);

        client.ClearIpTag(1);

        Assert.False(client.GetIpTag(1).IsValid);
        Assert.Null(board.Tags.Get(1));
        var arg1 = new ScpIpTagArg1(0, ScpIpTagOperation.New).Encode();
        Assert.Equal(ScpError.None, ScpMessage.TryRead(client.Transact(ScpCommand.IpTag, [arg1, 2000, Loopback127]), 1, out var m));
        Assert.Equal((ScpResult.Ok, 1u), (m.Result, m.Arg1));
    }

    [Fact]
    public void Tto_replies_with_table_shape_and_the_previous_code()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);

        Assert.Equal(ScpIpTag.TimeoutReplyArg1(9), client.SetTransientTagTimeout(5));
        Assert.Equal((8u << 24) | (8u << 16) | (32u << 8) | 5u, client.SetTransientTagTimeout(16));
        Assert.Equal(5, board.Tags.TransientTimeoutCode);
    }

    [Theory]
    [InlineData(ScpIpTagOperation.Set, 8, 1u)]      // transient tags cannot be set
    [InlineData(ScpIpTagOperation.Set, 16, 1u)]
    [InlineData(ScpIpTagOperation.Get, 16, 1u)]
    [InlineData(ScpIpTagOperation.Get, 12, 5u)]     // 12..16 runs past the table
    [InlineData(ScpIpTagOperation.Get, 0, 9u)]      // more than 256 bytes of entries
    [InlineData(ScpIpTagOperation.Clear, 16, 0u)]
    [InlineData((ScpIpTagOperation)5, 0, 0u)]
    public void Bad_tag_numbers_and_operations_are_RC_ARG(ScpIpTagOperation operation, int tag, uint arg2)
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);
        var arg1 = new ScpIpTagArg1((byte)tag, operation).Encode();

        Assert.Equal(ScpError.None, ScpHeader.TryRead(client.Transact(ScpCommand.IpTag, [arg1, arg2, Loopback127]), out var header));

        Assert.Equal(ScpResult.Arg, header.Result);
    }

    [Fact]
    public void Reverse_tag_counts_input_follows_its_sender_and_closes_on_clear()
    {
        // The tag's port must be one the board can bind: a port freed just before, which a parallel test's port-0 bind
        // may take first. Only then (a stranger holds it) is the scenario run again, on a new port, at most 3 times.
        for (var attempt = 1; ; attempt++)
        {
            using var board = new BoardEmulator(Loopback.Board());
            using var client = new ScpClient(board.ScpEndPoint);
            FreedPort freed;
            using (var probe = new RawUdp())
            {
                freed = FreedPort.Udp(probe.LocalEndPoint.Port);
            }

            try
            {
                client.SetReverseIpTag(2, freed.Port, x: 1, y: 2, portCpu: SdpPortCpu.Encode(1, 3));
            }
            catch (ScpClientException) when (attempt < 3 && freed.Strangers().Count > 0)
            {
                continue;
            }

            ReverseTagCountsAndCloses(board, client, freed.Port);
            return;
        }
    }

    private static void ReverseTagCountsAndCloses(BoardEmulator board, ScpClient client, int rxPort)
    {
        using var sender = new RawUdp();
        for (var i = 0; i < 3; i++)
        {
            sender.Send([0x05, 0x08, 1, 2, 3, 4], new IPEndPoint(IPAddress.Loopback, rxPort));
        }

        Assert.True(Loopback.WaitUntil(() => board.Counters.ReverseInput(2) == 3));
        var entry = client.GetIpTag(2);
        Assert.Equal(ScpIpTagFlags.Valid | ScpIpTagFlags.Reverse | ScpIpTagFlags.Strip, entry.Flags & (ScpIpTagFlags)0xFF00);
        Assert.Equal((rxPort, 0x0102, SdpPortCpu.Encode(1, 3)), (entry.RxPort, entry.DestAddress, entry.DestPortCpu));
        Assert.Equal(3u, entry.Count);
        Assert.Equal(sender.LocalEndPoint, board.Tags.Get(2)!.Destination);

        var holders = UdpPortHolders.Of(rxPort);
        client.ClearIpTag(2);

        // The board's socket on the port is closed.
        UdpPortHolders.AssertReleased(rxPort, holders);
    }

    [Fact]
    public void Reverse_tag_on_the_boards_own_port_fails_the_call_naming_board_command_and_code()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);

        var ex = Assert.Throws<ScpClientException>(() => client.SetReverseIpTag(1, board.ScpEndPoint.Port, 0, 0, 0));

        Assert.Equal((ScpFailure.ErrorReply, ScpResult.Arg, ScpCommand.IpTag), (ex.Failure, ex.Result, ex.Command));
        Assert.Contains(board.ScpEndPoint.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("IPTAG", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RC_ARG", ex.Message, StringComparison.Ordinal);
        Assert.Null(board.Tags.Get(1));
    }

    [Fact]
    public void Reply_wanted_through_an_unset_fixed_tag_is_dropped_and_through_a_set_one_goes_to_its_destination()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);
        using var raw = new RawUdp();
        using var listener = new RawUdp();
        var request = Loopback.Request(ScpCommand.Ver, 5);
        request[3] = 4;   // tag 4 instead of 0xFF

        raw.Send(request, board.ScpEndPoint);
        Assert.True(Loopback.WaitUntil(() => board.Counters.Dropped(ScpDropReason.ReplyTagNotSet) == 1));

        client.SetIpTag(4, IPAddress.Loopback, listener.LocalEndPoint.Port);
        raw.Send(request, board.ScpEndPoint);
        var reply = listener.Receive(out var from);

        Assert.Equal(board.ScpEndPoint, from);
        Assert.Equal(ScpError.None, ScpHeader.TryRead(reply, out var header));
        Assert.Equal((ScpResult.Ok, (ushort)5), (header.Result, header.Sequence));
    }
}
