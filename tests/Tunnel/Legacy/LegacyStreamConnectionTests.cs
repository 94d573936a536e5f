using System.Diagnostics;
using System.Net.Sockets;
using FastSpinnRelay.Tunnel.Legacy;
using static FastSpinnRelay.Tunnel.Tests.Legacy.StreamTestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Legacy;

public class LegacyStreamConnectionTests
{
    [Fact]
    public async Task Carries_datagrams_both_ways_with_exactly_the_original_framing()
    {
        var (ours, peer) = Pair();
        using var _ = peer;
        var outbox = new FrameOutbox();
        var handler = new RecordingHandler();
        var connection = new LegacyStreamConnection(ours, outbox, handler);
        var run = connection.RunAsync();

        // Two frames in one write, then a third split byte by byte.
        peer.Send([0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0, 0]);
        foreach (var b in new byte[] { 0, 0, 0, 2, 0xFE, 0xFF })
        {
            peer.Send([b]);
        }

        Assert.True(WaitUntil(() => handler.Frames.Count == 3));
        Assert.Equal([[1, 2, 3, 4, 5], [], [0xFE, 0xFF]], handler.Payloads);

        Assert.True(outbox.TryEnqueue([9, 8, 7]));
        Assert.True(outbox.TryEnqueue([6]));
        outbox.Wake();
        Assert.Equal(new byte[] { 0, 0, 0, 3, 9, 8, 7, 0, 0, 0, 1, 6 }, ReadExactly(peer, 12));

        peer.Shutdown(SocketShutdown.Send);
        var close = await run.WaitAsync(Deadline);
        Assert.Equal(StreamCloseReason.PeerClosed, close.Reason);
        Assert.True(close.IsOrderly);
        Assert.Equal((3, 19L, 2, 12L), (connection.FramesIn, connection.BytesIn, connection.FramesOut, connection.BytesOut));
    }

    [Fact]
    public async Task A_length_over_the_maximum_closes_the_connection_and_names_the_length()
    {
        var (ours, peer) = Pair();
        using var _ = peer;
        var handler = new RecordingHandler();
        var connection = new LegacyStreamConnection(ours, new FrameOutbox(), handler, new LegacyStreamOptions { MaxFrameLength = 1000 });
        var run = connection.RunAsync();

        peer.Send([0, 0, 0, 1, 42, 0, 0, 0x03, 0xE9, 1, 2, 3]);

        var close = await run.WaitAsync(Deadline);
        Assert.Equal(StreamCloseReason.FrameTooLarge, close.Reason);
        Assert.Equal(1001, close.Detail);
        Assert.Contains("1001-byte frame", close.Description, StringComparison.Ordinal);
        Assert.False(close.IsOrderly);
        Assert.Equal([[42]], handler.Payloads);
        Assert.Equal(0, handler.Unflushed); // the whole frame before the bad length still left
        Assert.True(SeesEnd(peer));
    }

    [Fact]
    public async Task A_peer_closing_inside_a_frame_is_reported_with_the_bytes_lost()
    {
        var (ours, peer) = Pair();
        using var _ = peer;
        var run = new LegacyStreamConnection(ours, new FrameOutbox(), new RecordingHandler()).RunAsync();

        peer.Send([0, 0, 0, 9, 1, 2, 3]);
        peer.Shutdown(SocketShutdown.Send);

        var close = await run.WaitAsync(Deadline);
        Assert.Equal(StreamCloseReason.PeerClosedMidFrame, close.Reason);
        Assert.Equal(7, close.Detail);
    }

    [Fact]
    public async Task A_reset_is_an_orderly_end_and_Close_ends_a_quiet_connection_at_once()
    {
        var (ours, peer) = Pair();
        var run = new LegacyStreamConnection(ours, new FrameOutbox(), new RecordingHandler()).RunAsync();
        peer.LingerState = new LingerOption(true, 0);
        peer.Dispose(); // RST

        var reset = await run.WaitAsync(Deadline);
        Assert.Equal(StreamCloseReason.Reset, reset.Reason);

        var (ours2, peer2) = Pair();
        using var __ = peer2;
        var quiet = new LegacyStreamConnection(ours2, new FrameOutbox(), new RecordingHandler());
        var run2 = quiet.RunAsync();
        quiet.Close();
        quiet.Close();
        Assert.Equal(StreamCloseReason.ClosedLocally, (await run2.WaitAsync(Deadline)).Reason);
        Assert.True(SeesEnd(peer2));
    }

    [Fact]
    public async Task A_throwing_handler_closes_the_connection_as_a_fault()
    {
        var (ours, peer) = Pair();
        using var _ = peer;
        var connection = new LegacyStreamConnection(ours, new FrameOutbox(), new RecordingHandler { Throw = true });
        var run = connection.RunAsync();

        peer.Send([0, 0, 0, 1, 7]);

        Assert.Equal(StreamCloseReason.Fault, (await run.WaitAsync(Deadline)).Reason);
        Assert.IsType<InvalidOperationException>(connection.Fault);
    }

    [Fact]
    public async Task FlushOrWake_writes_on_the_callers_thread_with_exactly_the_original_framing()
    {
        var (ours, peer) = Pair();
        using var _ = peer;
        var outbox = new FrameOutbox();
        var connection = new LegacyStreamConnection(ours, outbox, new RecordingHandler());
        var run = connection.RunAsync();

        Assert.True(outbox.TryEnqueue([9, 8, 7]));
        Assert.True(outbox.TryEnqueue([6]));
        connection.FlushOrWake();

        Assert.Equal(new byte[] { 0, 0, 0, 3, 9, 8, 7, 0, 0, 0, 1, 6 }, ReadExactly(peer, 12));
        Assert.True(WaitUntil(() => connection.FramesOut == 2));
        Assert.Equal(12, connection.BytesOut);
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(StreamCloseReason.PeerClosed, (await run.WaitAsync(Deadline)).Reason);
    }

    [Fact]
    public async Task What_an_inline_write_cannot_finish_follows_from_the_send_loop_in_order_and_whole()
    {
        var (ours, peer) = NarrowPair();
        using var _ = peer;
        var outbox = new FrameOutbox(64 * 1024);
        var connection = new LegacyStreamConnection(ours, outbox, new RecordingHandler());
        var run = connection.RunAsync();

        // Far more than the socket buffers hold while the peer is not reading: inline writes stop part-way and
        // hand the rest to the send loop; later calls find a write under way and only wake it.
        var expected = new List<byte>();
        var datagram = new byte[1000];
        for (var n = 0; n < 400; n++)
        {
            BitConverter.TryWriteBytes(datagram, n);
            if (outbox.TryEnqueue(datagram))
            {
                expected.AddRange(new byte[] { 0, 0, 0x03, 0xE8 });
                expected.AddRange(datagram);
            }

            if (n % 10 == 9)
            {
                connection.FlushOrWake();
            }
        }

        connection.FlushOrWake();
        Assert.Equal(expected.ToArray(), ReadExactly(peer, expected.Count));
        var accepted = expected.Count / 1004;
        Assert.True(WaitUntil(() => connection.FramesOut == accepted));
        Assert.Equal(expected.Count, connection.BytesOut);
        Assert.Equal(400 - accepted, outbox.Dropped);
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(StreamCloseReason.PeerClosed, (await run.WaitAsync(Deadline)).Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // FlushOrWake: the unfinished write waits on the socket's completion, not in the send loop
    public async Task A_peer_that_stops_reading_is_closed_as_stalled_and_the_lost_frames_counted(bool inline)
    {
        var (ours, peer) = NarrowPair();
        using var _ = peer;
        var outbox = new FrameOutbox();
        var connection = new LegacyStreamConnection(ours, outbox, new RecordingHandler(), new LegacyStreamOptions { WriteTimeout = TimeSpan.FromMilliseconds(1) });
        var run = connection.RunAsync();
        var datagram = new byte[1000];

        var far = Stopwatch.GetTimestamp() + (3600 * Stopwatch.Frequency);
        Assert.True(WaitUntil(() =>
        {
            while (outbox.TryEnqueue(datagram))
            {
            }

            if (inline)
            {
                connection.FlushOrWake();
            }
            else
            {
                outbox.Wake();
            }

            return connection.CloseIfStalled(far);
        }));

        var close = await run.WaitAsync(Deadline); // returns only once the pending write has been aborted
        Assert.Equal(StreamCloseReason.WriteStalled, close.Reason);
        Assert.True(outbox.Dropped > 0);
        Assert.True(connection.FramesOut < outbox.Queued); // the block under way when it stalled did not count as written
    }

    [Fact]
    public async Task Frames_that_arrive_together_leave_at_least_the_minimum_gap_apart()
    {
        var (ours, peer) = Pair();
        using var _ = peer;
        var handler = new RecordingHandler { SendTime = TimeSpan.FromMilliseconds(10) }; // half a gap, per send
        var options = new LegacyStreamOptions { MinFrameGap = TimeSpan.FromMilliseconds(20) };
        var run = new LegacyStreamConnection(ours, new FrameOutbox(), handler, options).RunAsync();
        var burst = new List<byte>();
        for (byte i = 0; i < 10; i++)
        {
            burst.AddRange(new byte[] { 0, 0, 0, 1, i });
        }

        peer.Send(burst.ToArray());

        Assert.True(WaitUntil(() => handler.Sent.Count == 10));
        var frames = handler.Frames.ToArray();
        var sent = handler.Sent.ToArray();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => new[] { (byte)i }), frames.Select(f => f.Frame));

        // The gap counts from when the flush that sent the previous frame returned (the handler's send, as the board
        // would see it), not from when that frame was handed on: however long the handler takes to send (here half a
        // gap), frame i is handed on at least one gap after frame i - 1 left. Both are the handler's own clock readings.
        var gap = (long)(options.MinFrameGap.TotalSeconds * Stopwatch.Frequency);
        for (var i = 1; i < frames.Length; i++)
        {
            var since = frames[i].Timestamp - sent[i - 1];
            Assert.True(since >= gap, $"frame {i}: {since * 1000.0 / Stopwatch.Frequency:0.00} ms after frame {i - 1} left");
        }

        Assert.True(WaitUntil(() => handler.FlushesWithFrames == 10)); // each paced frame leaves on its own
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(StreamCloseReason.PeerClosed, (await run.WaitAsync(Deadline)).Reason);
    }

    [Fact]
    public async Task The_frames_of_a_read_are_handed_on_then_released_together()
    {
        var (ours, peer) = Pair();
        using var _ = peer;
        var handler = new RecordingHandler();
        var run = new LegacyStreamConnection(ours, new FrameOutbox(), handler).RunAsync();
        var burst = new List<byte>();
        for (byte i = 0; i < 50; i++)
        {
            burst.AddRange(new byte[] { 0, 0, 0, 2, i, 0xAA });
        }

        peer.Send(burst.ToArray());

        Assert.True(WaitUntil(() => handler.Frames.Count == 50 && handler.Unflushed == 0));
        Assert.InRange(handler.FlushesWithFrames, 1, 50); // one per read: the stream decides how many reads
        Assert.Equal(Enumerable.Range(0, 50).Select(i => new byte[] { (byte)i, 0xAA }), handler.Payloads);
        peer.Shutdown(SocketShutdown.Send);
        Assert.Equal(StreamCloseReason.PeerClosed, (await run.WaitAsync(Deadline)).Reason);
    }
}
