using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Emulator;

public class BoardEmulatorScpTests
{
    [Fact]
    public void Ver_before_boot_reports_chip_255_255_and_the_scamp_name()
    {
        using var board = new BoardEmulator(Loopback.Board() with { ScampVersion = "4.1.2" });
        using var client = new ScpClient(board.ScpEndPoint);

        var version = client.Version();

        Assert.Equal("SC&MP/SpiNNaker", version.Name);
        Assert.Equal("4.1.2", version.Version);
        Assert.Equal(0xFFFF, version.P2PAddress);
        Assert.False(version.IsBooted);
        Assert.Equal(256, version.BufferSize);
        Assert.False(board.IsBooted);
    }

    [Fact]
    public void Write_then_read_back_4_KiB_through_the_client()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);
        var data = new byte[4096];
        new Random(7).NextBytes(data);

        // An odd address makes the client use byte accesses; 4 KiB is 16 commands each way.
        client.Write(0x6000_0003, data);
        var back = new byte[data.Length];
        client.Read(0x6000_0003, back);

        Assert.Equal(data, back);
        Assert.Equal(16 + 16, board.Counters.Results(ScpResult.Ok));
    }

    [Fact]
    public void Read_of_unwritten_memory_is_zero()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);
        var back = new byte[300];
        Array.Fill(back, (byte)0xAA);

        client.Read(0x7000_0000, back);

        Assert.All(back, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Unknown_command_is_answered_RC_CMD()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);

        var reply = client.Transact((ScpCommand)99, [1, 2, 3]);

        Assert.Equal(ScpMessage.MinLength, reply.Length);
        Assert.Equal(ScpResult.Cmd, (ScpResult)BinaryPrimitives.ReadUInt16LittleEndian(reply[10..]));
        Assert.Equal(1, board.Counters.Results(ScpResult.Cmd));
    }

    [Fact]
    public void Request_shorter_than_three_args_is_answered_RC_LEN_with_its_sequence()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var raw = new RawUdp();
        var request = Loopback.Request(ScpCommand.Ver, 0x4321)[..ScpMessage.MinLength];

        raw.Send(request, board.ScpEndPoint);
        var reply = raw.Receive();

        Assert.Equal(ScpError.None, ScpHeader.TryRead(reply, out var header));
        Assert.Equal((ScpResult.Len, (ushort)0x4321), (header.Result, header.Sequence));
        Assert.Equal(ScpMessage.MinLength, reply.Length);
    }

    [Fact]
    public void Reply_comes_from_the_scp_port_to_the_requesters_port_with_swapped_header_and_a_transient_tag()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var raw = new RawUdp();
        var request = Loopback.Request(ScpCommand.Ver, 77);
        request[6] = 3;   // dest y
        request[7] = 2;   // dest x

        raw.Send(request, board.ScpEndPoint);
        var reply = raw.Receive(out var from);

        Assert.Equal(board.ScpEndPoint, from);
        Assert.Equal(ScpError.None, ScpMessage.TryRead(reply, 3, out var m));
        Assert.Equal(ScpResult.Ok, m.Result);
        Assert.Equal(77, m.Sequence);
        Assert.Equal(SdpConstants.FlagsNoReply, m.Header.Flags);
        Assert.InRange(m.Header.Tag, IpTagTable.FixedCount, IpTagTable.Size - 1);
        Assert.Equal((SdpConstants.PortCpuEthernet, (byte)0), (m.Header.DestPortCpu, m.Header.SrcPortCpu));
        Assert.Equal((0, 0, 2, 3), (m.Header.DestX, m.Header.DestY, m.Header.SrcX, m.Header.SrcY));

        // The board releases the tag and counts the reply after sending it: the reply can arrive first.
        Assert.True(Loopback.WaitUntil(() => board.Tags.TransientInUse == 0), "the transient tag was not released");
        Assert.True(Loopback.WaitUntil(() => board.Counters.ScpReplies == 1), "the reply was not counted");
    }

    [Fact]
    public void Request_without_the_reply_bit_runs_but_gets_no_reply()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var raw = new RawUdp();
        var data = new byte[] { 1, 2, 3, 4 };

        raw.Send(Loopback.Request(ScpCommand.Write, 1, 0x100, 4, 2, data, replyWanted: false), board.ScpEndPoint);
        raw.Send(Loopback.Request(ScpCommand.Read, 2, 0x100, 4, 2), board.ScpEndPoint);
        var reply = raw.Receive();

        // The first datagram back answers the READ: the WRITE had no reply, but it was executed.
        Assert.Equal(ScpError.None, ScpMessage.TryRead(reply, 0, out var m));
        Assert.Equal(2, m.Sequence);
        Assert.Equal(data, m.Data.ToArray());
    }

    [Fact]
    public void Oversized_and_truncated_datagrams_are_dropped_silently_and_counted()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var raw = new RawUdp();
        var oversized = new byte[SdpConstants.MaxDatagramLength + 1];
        Loopback.Request(ScpCommand.Ver, 1).CopyTo(oversized, 0);

        raw.Send(oversized, board.ScpEndPoint);
        raw.Send(Loopback.Request(ScpCommand.Ver, 2)[..13], board.ScpEndPoint);
        raw.Send(Loopback.Request(ScpCommand.Ver, 3), board.ScpEndPoint);
        var reply = raw.Receive();

        Assert.Equal(ScpError.None, ScpHeader.TryRead(reply, out var header));
        Assert.Equal(3, header.Sequence);
        Assert.Equal(1, board.Counters.Dropped(ScpDropReason.TooLong));
        Assert.Equal(1, board.Counters.Malformed(ScpError.TooShort));
        Assert.Equal(3, board.Counters.ScpDatagrams);
    }

    [Theory]
    [InlineData(ScpCommand.Read, 257u, 0u, ScpResult.Len)]
    [InlineData(ScpCommand.Read, 4u, 3u, ScpResult.Arg)]
    [InlineData(ScpCommand.Write, 257u, 0u, ScpResult.Len)]
    [InlineData(ScpCommand.Write, 8u, 0u, ScpResult.Len)]   // 8 announced, 4 sent
    [InlineData(ScpCommand.Write, 4u, 7u, ScpResult.Arg)]
    public void Bad_memory_arguments_are_refused(ScpCommand command, uint length, uint accessType, ScpResult expected)
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint);

        var reply = client.Transact(command, [0x1000, length, accessType], command == ScpCommand.Write ? [1, 2, 3, 4] : []);

        Assert.Equal(ScpError.None, ScpHeader.TryRead(reply, out var header));
        Assert.Equal(expected, header.Result);
    }

    [Fact]
    public void Client_sequence_numbers_wrap_at_65536()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var client = new ScpClient(board.ScpEndPoint) { NextSequence = 65534 };
        var sequences = new List<ushort>();

        for (var i = 0; i < 4; i++)
        {
            ScpHeader.TryRead(client.Transact(ScpCommand.Ver, []), out var header);
            sequences.Add(header.Sequence);
        }

        Assert.Equal(new ushort[] { 65534, 65535, 0, 1 }, sequences);
    }
}
