using FastSpinnRelay.Tunnel.Legacy;
using System.Net.Sockets;
using static FastSpinnRelay.Tunnel.Tests.Legacy.StreamTestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Legacy;

/// <summary>
/// Frames written from where their datagrams lie (<see cref="FrameGather"/>, <see cref="LegacyStreamConnection.TryWriteInPlace"/>):
/// exactly the outbox's framing on the wire, in order with the outbox's frames, and what the socket does not take at
/// once finishes from its completions.
/// </summary>
public class InPlaceWriteTests
{
    [Fact]
    public void A_gather_holds_the_framing_and_copies_any_tail_of_it()
    {
        var memory = Pinned([1, 2, 3, 4, 5, 6]);
        var gather = new FrameGather(capacity: 3);
        Assert.True(gather.TryAdd(memory.AsSpan(0, 3)));
        Assert.True(gather.TryAdd(memory.AsSpan(3, 0)));
        Assert.True(gather.TryAdd(memory.AsSpan(3, 3)));
        Assert.False(gather.TryAdd(memory.AsSpan(0, 1)));
        Assert.Equal((3, 18), (gather.Count, gather.Bytes));

        byte[] framed = [0, 0, 0, 3, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 3, 4, 5, 6];
        for (var skip = 0; skip <= framed.Length; skip++)
        {
            var tail = new byte[framed.Length];
            var copied = gather.CopyFrom(skip, tail);
            Assert.Equal(framed[skip..], tail[..copied]);
        }

        gather.Clear();
        Assert.True(gather.IsEmpty);
        Assert.Equal(0, gather.Bytes);
    }

    [Fact]
    public async Task Frames_written_in_place_follow_the_outbox_s_framing_and_order()
    {
        var (ours, peer) = Pair();
        using var _ = peer;
        var outbox = new FrameOutbox();
        var connection = new LegacyStreamConnection(ours, outbox, new RecordingHandler());
        var gather = new FrameGather();
        var memory = Pinned([9, 8, 7, 6]);
        Assert.True(gather.TryAdd(memory.AsSpan(0, 3)));
        Assert.False(connection.TryWriteInPlace(gather)); // not running yet: queue instead
        Assert.Equal(1, gather.Count);

        var run = connection.RunAsync();
        Assert.True(outbox.TryEnqueue([5]));
        Assert.False(connection.TryWriteInPlace(gather)); // the outbox's frame must go first
        connection.FlushOrWake();
        Assert.True(WaitUntil(() => connection.FramesOut == 1));

        Assert.True(gather.TryAdd(memory.AsSpan(3, 1)));
        Assert.True(connection.TryWriteInPlace(gather));
        Assert.True(gather.IsEmpty);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 5, 0, 0, 0, 3, 9, 8, 7, 0, 0, 0, 1, 6 }, ReadExactly(peer, 17));
        Assert.True(WaitUntil(() => connection.FramesOut == 3));
        Assert.Equal(17, connection.BytesOut);

        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(StreamCloseReason.PeerClosed, (await run.WaitAsync(Deadline)).Reason);
    }

    [Fact]
    public async Task What_the_socket_does_not_take_finishes_from_its_completions_in_order_and_whole()
    {
        var (ours, peer) = NarrowPair();
        using var _ = peer;
        var outbox = new FrameOutbox(64 * 1024);
        var connection = new LegacyStreamConnection(ours, outbox, new RecordingHandler());
        var run = connection.RunAsync();

        // Runs of 50 frames of 1000 bytes while the peer is not reading: the socket soon takes only part of a write,
        // the rest continues from its completions, and later runs find a write under way and go to the outbox.
        var memory = Pinned(new byte[50 * 1000]);
        var expected = new List<byte>();
        var accepted = 0;
        for (var n = 0; n < 400; n += 50)
        {
            var gather = new FrameGather();
            for (var i = 0; i < 50; i++)
            {
                BitConverter.TryWriteBytes(memory.AsSpan(i * 1000, 4), n + i);
                gather.TryAdd(memory.AsSpan(i * 1000, 1000));
            }

            var framed = new List<byte>();
            for (var i = 0; i < 50; i++)
            {
                framed.AddRange(new byte[] { 0, 0, 0x03, 0xE8 });
                framed.AddRange(memory.AsSpan(i * 1000, 1000).ToArray());
            }

            if (connection.TryWriteInPlace(gather))
            {
                expected.AddRange(framed);
                accepted += 50;
                continue;
            }

            for (var i = 0; i < 50; i++)
            {
                if (outbox.TryEnqueue(memory.AsSpan(i * 1000, 1000)))
                {
                    expected.AddRange(framed.GetRange(i * 1004, 1004));
                    accepted++;
                }
            }

            connection.FlushOrWake();
        }

        Assert.Equal(expected.ToArray(), ReadExactly(peer, expected.Count));
        Assert.True(WaitUntil(() => connection.FramesOut == accepted));
        Assert.Equal(expected.Count, connection.BytesOut);
        Assert.Equal(400 - accepted, outbox.Dropped);
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(StreamCloseReason.PeerClosed, (await run.WaitAsync(Deadline)).Reason);
    }

    private static byte[] Pinned(byte[] content)
    {
        var pinned = GC.AllocateArray<byte>(content.Length, pinned: true);
        content.CopyTo(pinned, 0);
        return pinned;
    }
}
