using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Emulator.Internal;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Emulator;

public class BoardEmulatorSpikeTests
{
    /// <summary>Big enough to hold every packet of a test run, so a descheduled test thread loses nothing.</summary>
    private const int ListenerBuffer = 4 << 20;

    [Fact]
    public void Tag_set_with_strip_and_use_sender_from_the_listening_socket_receives_every_packet_in_order()
    {
        const int count = 2000;
        using var board = new BoardEmulator(Loopback.Board() with { SpikeTag = 1, SpikeRate = 20_000, SpikeLimit = count });
        using var listener = new RawUdp(ListenerBuffer);

        // What spinnman's live-output listener does: IPTAG SET (STRIP + USE_SENDER, address 0) from its own socket.
        var arg1 = new ScpIpTagArg1(1, ScpIpTagOperation.Set, Strip: true, UseSender: true).Encode();
        listener.Send(Loopback.Request(ScpCommand.IpTag, 9, arg1, 0, 0), board.ScpEndPoint);
        Assert.Equal(ScpError.None, ScpHeader.TryRead(listener.Receive(), out var reply));
        Assert.Equal(ScpResult.Ok, reply.Result);

        board.StartSpikes();
        var tracker = new SpikeSequenceTracker();
        for (var i = 0; i < count; i++)
        {
            var packet = listener.Receive(out var from);
            Assert.Equal(board.ScpEndPoint, from);
            Assert.Equal(258, packet.Length);
            Assert.Equal((64, 0x08), (packet[0], packet[1]));
            tracker.Observe(BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(2)));
        }

        Assert.Equal((count, 0L, 0L, 0L), (tracker.Received, tracker.Lost, tracker.Duplicated, tracker.Reordered));
        Assert.Equal((uint)count, tracker.Expected);
        Assert.True(Loopback.WaitUntil(() => !board.IsSpiking));
        Assert.Equal(count, board.SpikesSent);
        Assert.Equal(count, board.Tags.Get(1)!.Count);
    }

    [Fact]
    public void Fallback_destination_is_used_until_the_tag_is_set_and_a_tag_without_strip_gets_the_SDP_header()
    {
        using var early = new RawUdp(ListenerBuffer);
        using var board = new BoardEmulator(Loopback.Board() with
        {
            SpikeTag = 2, SpikeDestination = early.LocalEndPoint, SpikeRate = 5000, SpikePacketSize = 14,
        });
        using var late = new RawUdp(ListenerBuffer);

        board.StartSpikes();
        var first = early.Receive();
        Assert.Equal(14, first.Length);
        Assert.Equal((3, 0x08), (first[0], first[1]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(first.AsSpan(2)));

        // Set tag 2 (no STRIP) towards the late listener: packets now carry pad + SDP header.
        var arg1 = new ScpIpTagArg1(2, ScpIpTagOperation.Set).Encode();
        late.Send(Loopback.Request(ScpCommand.IpTag, 1, arg1, (uint)late.LocalEndPoint.Port, ScpIpTag.EncodeIPv4(127, 0, 0, 1)), board.ScpEndPoint);
        var datagram = late.Receive();
        for (var i = 0; i < 10 && datagram.Length != SdpConstants.UdpHeaderLength + 14; i++)
        {
            datagram = late.Receive();   // the IPTAG reply comes first
        }

        board.StopSpikes();
        Assert.Equal((SdpConstants.FlagsNoReply, (byte)2, SdpConstants.PortCpuEthernet), (datagram[2], datagram[3], datagram[4]));
        Assert.Equal((3, 0x08), (datagram[10], datagram[11]));
        Assert.False(board.IsSpiking);
    }

    [Fact]
    public void Start_without_a_tag_or_destination_is_refused()
    {
        using var board = new BoardEmulator(Loopback.Board());

        Assert.False(board.HasLiveOutput);
        Assert.Throws<InvalidOperationException>(board.StartSpikes);
    }

    [Fact]
    public void Packet_holds_its_sequence_then_population_keys_in_turn()
    {
        var packet = new byte[2 + (4 * 4)];

        var length = SpikeSource.WritePacket(packet, sequence: 3, keyCount: 4, population: 10);

        Assert.Equal(18, length);
        Assert.Equal((4, 0x08), (packet[0], packet[1]));
        uint Key(int i) => BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(2 + (4 * i)));
        Assert.Equal(3u, Key(0));
        Assert.Equal(SpikeSource.PopulationBaseKey | 9, Key(1));   // (3·3 + 0) mod 10
        Assert.Equal(SpikeSource.PopulationBaseKey | 0, Key(2));
        Assert.Equal(SpikeSource.PopulationBaseKey | 1, Key(3));
    }

    [Theory]
    [InlineData(258, 64)]
    [InlineData(261, 64)]
    [InlineData(6, 1)]
    [InlineData(1024, 255)]
    public void Packet_size_rounds_down_to_whole_keys(int size, int keys) =>
        Assert.Equal(keys, SpikeSource.KeyCount(size));

    [Fact]
    public void Sequence_numbers_continue_across_stop_and_start()
    {
        using var listener = new RawUdp(ListenerBuffer);
        using var board = new BoardEmulator(Loopback.Board() with
        {
            SpikeDestination = listener.LocalEndPoint, SpikeRate = 10_000, SpikeLimit = 5, SpikePacketSize = 6,
        });
        var tracker = new SpikeSequenceTracker();

        for (var run = 0; run < 2; run++)
        {
            board.StartSpikes();
            for (var i = 0; i < 5; i++)
            {
                tracker.Observe(BinaryPrimitives.ReadUInt32LittleEndian(listener.Receive().AsSpan(2)));
            }

            Assert.True(Loopback.WaitUntil(() => !board.IsSpiking));
        }

        Assert.Equal((10L, 0L, 10u), (tracker.Received, tracker.Lost, tracker.Expected));
    }
}
