using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Compression;
using FastSpinnRelay.Tunnel.Tests.TestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>The latest class: batched, compressed when it pays, in order; under pressure the oldest are dropped and counted, and SCP still flows.</summary>
public class LatestTests
{
    [Fact]
    public async Task Spikes_arrive_in_order_batched_and_compressed()
    {
        var (pair, output, board) = await OpenLiveOutputAsync(clientCompresses: true);
        await using var _ = pair;
        byte[][] spikes = [.. Enumerable.Range(0, 2000).Select(i => SpikeStream.Packet(i, keysPerPacket: 64, population: 1000))];

        foreach (byte[] spike in spikes)
        {
            Assert.Equal(TunnelSendStatus.Sent, board.TrySend(spike));
        }

        RecordingHandler visualiser = HandlerOf(output);
        await Bounded.Until(() => visualiser.Count == spikes.Length, "every spike packet");
        Assert.Equal(spikes, visualiser.Datagrams);
        TunnelSessionCounters counters = pair.ServerSession.GetCounters();
        Assert.Equal(0, counters.LatestDatagramsDropped);
        Assert.InRange(counters.BatchesSent, 1, spikes.Length);
        if (Lz4.IsAvailable)
        {
            Assert.True(counters.BatchesCompressed > 0);
            Assert.True(counters.BatchWireBytes < counters.BatchRawBytes);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bytes_received_cover_every_batch_and_a_client_without_compression_gets_none(bool clientCompresses)
    {
        var (pair, output, board) = await OpenLiveOutputAsync(clientCompresses);
        await using var _ = pair;
        byte[][] spikes = [.. Enumerable.Range(0, 1000).Select(i => SpikeStream.Packet(i, keysPerPacket: 5, population: 1024))];

        foreach (byte[] spike in spikes)
        {
            Assert.Equal(TunnelSendStatus.Sent, board.TrySend(spike));
        }

        RecordingHandler visualiser = HandlerOf(output);
        await Bounded.Until(() => visualiser.Count == spikes.Length, "every spike packet");
        // Bytes are counted once the read's frames are handled: wait for that, then check there is little else.
        await Bounded.Until(
            () => pair.Client.Session.GetCounters().BytesReceived >= pair.ServerSession.GetCounters().BatchWireBytes, "the client to count the batches' bytes");
        TunnelSessionCounters server = pair.ServerSession.GetCounters();
        TunnelSessionCounters client = pair.Client.Session.GetCounters();
        Assert.InRange(client.BytesReceived, server.BatchWireBytes, server.BatchWireBytes + 1024);
        Assert.True(server.BytesReceived > 0, "the OPEN and acknowledgements reached the server");
        Assert.Equal(spikes.Length, client.LatestDatagramsReceived);
        Assert.Equal(clientCompresses && Lz4.IsAvailable, server.BatchesCompressed > 0);
    }

    [Fact]
    public async Task A_batch_handler_hears_the_end_of_every_batch_after_its_datagrams()
    {
        var log = new TestLog();
        var serverOptions = new TunnelServerOptions { Key = TunnelPair.Key, Log = log, LatestQueueBytes = 4 * 1024 * 1024 };
        await using TunnelPair pair = await TunnelPair.StartAsync(serverOptions: serverOptions, log: log);
        var visualiser = new BatchCountingHandler();
        pair.Client.Session.OpenChannel(TunnelChannelKind.EieioOutput, new TunnelTarget(null, 2), visualiser);
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 1, "the channel to open");
        TunnelChannel board = pair.ServerAcceptor.Opened[0].Channel;

        for (int i = 0; i < 3000; i++)
        {
            Assert.Equal(TunnelSendStatus.Sent, board.TrySend(SpikeStream.Packet(i, keysPerPacket: 5, population: 1024)));
        }

        await Bounded.Until(() => visualiser.EndedAfter == 3000, "the last batch to end after the last datagram");
        long batches = pair.ServerSession.GetCounters().BatchesSent;
        Assert.InRange(visualiser.Ends, 1, batches); // at most one end per batch (one channel), none without a datagram
        Assert.Equal(0, visualiser.EmptyEnds);
    }

    [Fact]
    public async Task A_batch_handler_on_a_reliable_channel_hears_the_end_of_each_read_after_its_datagrams()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        var application = new BatchCountingHandler();
        pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, application);
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 1, "the channel to open");
        TunnelChannel board = pair.ServerAcceptor.Opened[0].Channel;

        Assert.Equal(TunnelSendStatus.Sent, board.TrySend([1, 2, 3]));
        await Bounded.Until(() => application.EndedAfter == 1, "a lone reply's run to end");

        for (int i = 0; i < 500; i++)
        {
            Assert.Equal(TunnelSendStatus.Sent, await board.SendAsync(new byte[] { (byte)i, 9 }));
        }

        await Bounded.Until(() => application.EndedAfter == 501, "the last reply's run to end");
        Assert.InRange(application.Ends, 2, 501);
        Assert.Equal(0, application.EmptyEnds);
    }

    [Fact]
    public async Task A_slow_receiver_loses_counted_spikes_while_every_SCP_reply_arrives()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync(echo: true);
        var visualiser = new RecordingHandler();
        using var stall = new Stall();
        visualiser.BeforeEach = stall.Wait; // the user's side stops reading
        TunnelChannel output = pair.Client.Session.OpenChannel(TunnelChannelKind.EieioOutput, new TunnelTarget(null, 17895), visualiser);
        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 2, "both channels to open");
        TunnelChannel board = pair.ServerAcceptor.Opened.Single(o => o.Channel.Kind == TunnelChannelKind.EieioOutput).Channel;

        // Until the queue drops (bounded): more than the queue (256 KiB) and the pipe (64 KiB) hold while the receiver is stalled.
        int spikes = 0;
        while (spikes < 400_000 && pair.ServerSession.GetCounters().LatestDatagramsDropped == 0)
        {
            Assert.Equal(TunnelSendStatus.Sent, board.TrySend(SpikeStream.Packet(spikes, keysPerPacket: 64, population: 1000)));
            spikes++;
        }

        TunnelSessionCounters stalled = pair.ServerSession.GetCounters();
        Assert.True(stalled.LatestDatagramsDropped > 0, "the queue must have dropped the oldest spikes");

        stall.Release();
        RecordingHandler replies = HandlerOf(scp);
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(TunnelSendStatus.Sent, scp.TrySend([(byte)i, 0xAA]));
            int expected = i + 1;
            await Bounded.Until(() => replies.Count == expected, $"SCP reply {i}");
        }

        Assert.Equal([.. Enumerable.Range(0, 50).Select(i => new byte[] { (byte)i, 0xAA })], replies.Datagrams);
        await Bounded.Until(
            () => visualiser.Count + pair.ServerSession.GetCounters().LatestDatagramsDropped == spikes, "every spike delivered or counted as dropped");
        Assert.Equal(pair.ServerSession.GetCounters().LatestDatagramsDropped, board.DatagramsDropped);
        int[] order = [.. visualiser.Datagrams.Select(d => BitConverter.ToInt32(d, 2))];
        Assert.Equal(order.Order(), order); // whatever survived is in order
    }

    [Fact]
    public async Task Latest_sends_on_a_closed_channel_are_refused_and_oversized_ones_too()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        TunnelChannel output = pair.Client.Session.OpenChannel(TunnelChannelKind.EieioInput, TunnelTarget.Default, new RecordingHandler());

        Assert.Equal(TunnelSendStatus.TooLarge, output.TrySend(new byte[20_000]));
        output.Close();
        Assert.Equal(TunnelSendStatus.Closed, output.TrySend([1]));
    }

    [Fact]
    public async Task A_run_sent_at_once_arrives_whole_and_in_order()
    {
        var (pair, output, board) = await OpenLiveOutputAsync(clientCompresses: true);
        await using var _ = pair;
        byte[][] spikes = [.. Enumerable.Range(0, 2000).Select(i => SpikeStream.Packet(i, keysPerPacket: 4, population: 1000))];

        var source = new ArraySource(spikes);
        Assert.Equal(spikes.Length, board.TrySendAll(ref source));

        RecordingHandler visualiser = HandlerOf(output);
        await Bounded.Until(() => visualiser.Count == spikes.Length, "every spike packet");
        Assert.Equal(spikes, visualiser.Datagrams);
        Assert.Equal(spikes.Length, pair.ServerSession.GetCounters().LatestDatagramsQueued);
        Assert.Equal(spikes.Length, board.DatagramsSent);
    }

    [Fact]
    public async Task A_run_skips_what_is_too_large_and_a_closed_channel_takes_nothing()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        TunnelChannel output = pair.Client.Session.OpenChannel(TunnelChannelKind.EieioInput, TunnelTarget.Default, new RecordingHandler());

        var mixed = new ArraySource([[1], new byte[20_000], [2, 3]]);
        Assert.Equal(2, output.TrySendAll(ref mixed));
        output.Close();
        var late = new ArraySource([[4]]);
        Assert.Equal(0, output.TrySendAll(ref late));
    }

    [Fact]
    public async Task A_run_on_a_reliable_channel_goes_frame_by_frame_and_arrives_in_order()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 1, "the channel to open");
        byte[][] requests = [.. Enumerable.Range(0, 50).Select(i => new byte[] { (byte)i, 1, 2, 3 })];

        var source = new ArraySource(requests);
        Assert.Equal(requests.Length, scp.TrySendAll(ref source));

        RecordingHandler board = pair.ServerAcceptor.Opened[0].Handler;
        await Bounded.Until(() => board.Count == requests.Length, "every request");
        Assert.Equal(requests, board.Datagrams);
    }

    [Fact]
    public async Task Datagrams_queued_later_leave_in_order_after_one_wake_short_run_or_long()
    {
        await using TunnelPair pair = await TunnelPair.StartAsync();
        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 1, "the channel to open");
        RecordingHandler board = pair.ServerAcceptor.Opened[0].Handler;
        var expected = new List<byte[]>();

        // 5 is written on this thread when the send loop is idle, 200 wakes the loop's own thread.
        foreach (int run in new[] { 5, 200 })
        {
            for (int i = 0; i < run; i++)
            {
                byte[] request = [(byte)run, (byte)i, (byte)(i >> 8), 3];
                Assert.Equal(TunnelSendStatus.Sent, scp.TrySendLater(request));
                expected.Add(request);
            }

            scp.WakeSender(run);
            await Bounded.Until(() => board.Count == expected.Count, $"the run of {run}");
        }

        Assert.Equal(expected, board.Datagrams);
        Assert.Equal(expected.Count, scp.DatagramsSent);
    }

    [Fact]
    public async Task A_short_run_is_written_before_TrySendAll_returns_when_the_send_loop_is_idle()
    {
        var (pair, output, board) = await OpenLiveOutputAsync(clientCompresses: false);
        await using var _ = pair;
        RecordingHandler visualiser = HandlerOf(output);
        int writtenInline = 0;
        for (int attempt = 1; attempt <= 20; attempt++)
        {
            long batchesBefore = pair.ServerSession.GetCounters().BatchesSent;
            var run = new ArraySource([[(byte)attempt, 1], [(byte)attempt, 2], [(byte)attempt, 3]]);

            Assert.Equal(3, board.TrySendAll(ref run));

            // The loop waits between attempts (nothing else to send), so the run is normally written by this thread
            // before TrySendAll returns; a pool thread woken instead is rarely that quick.
            writtenInline += pair.ServerSession.GetCounters().BatchesSent > batchesBefore ? 1 : 0;
            await Bounded.Until(() => visualiser.Count == 3 * attempt, $"attempt {attempt}'s run");
        }

        // Measured: 20 of 20 here, and 1 of 20 when every run wakes a pool thread instead.
        Assert.True(writtenInline >= 10, $"only {writtenInline} of 20 runs were written by the thread that queued them");
    }

    /// <summary>
    /// A pair whose server queue holds a whole burst (so nothing is dropped and every batch can be checked), with one
    /// live-output channel open: the client's end (to the visualiser) and the server's (from the board).
    /// </summary>
    private static async Task<(TunnelPair Pair, TunnelChannel Output, TunnelChannel Board)> OpenLiveOutputAsync(bool clientCompresses)
    {
        var log = new TestLog();
        var serverOptions = new TunnelServerOptions { Key = TunnelPair.Key, Log = log, LatestQueueBytes = 4 * 1024 * 1024 };
        var clientOptions = new TunnelClientOptions { Key = TunnelPair.Key, Log = log, EnableCompression = clientCompresses };
        TunnelPair pair = await TunnelPair.StartAsync(serverOptions: serverOptions, clientOptions: clientOptions, log: log);
        TunnelChannel output = pair.Client.Session.OpenChannel(TunnelChannelKind.EieioOutput, new TunnelTarget(null, 17895), new RecordingHandler());
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 1, "the channel to open");
        return (pair, output, pair.ServerAcceptor.Opened[0].Channel);
    }

    private static RecordingHandler HandlerOf(TunnelChannel channel) => (RecordingHandler)channel.Handler!;
}

/// <summary>Datagrams from an array, for <see cref="TunnelChannel.TrySendAll{TSource}"/>.</summary>
internal struct ArraySource(byte[][] datagrams) : ITunnelDatagramSource
{
    private int _next;

    public bool TryNext(out ReadOnlySpan<byte> datagram)
    {
        if (_next < datagrams.Length)
        {
            datagram = datagrams[_next++];
            return true;
        }

        datagram = default;
        return false;
    }
}

/// <summary>Counts datagrams and batch ends (the receive loop is its only caller; read with Volatile).</summary>
internal sealed class BatchCountingHandler : ITunnelBatchHandler
{
    private int _sinceEnd;
    private int _received;
    private int _ends;
    private int _emptyEnds;
    private int _endedAfter;

    /// <summary>OnBatchEnd calls.</summary>
    public int Ends => Volatile.Read(ref _ends);

    /// <summary>OnBatchEnd calls with no datagram since the previous one (there should be none).</summary>
    public int EmptyEnds => Volatile.Read(ref _emptyEnds);

    /// <summary>Datagrams received before the latest OnBatchEnd.</summary>
    public int EndedAfter => Volatile.Read(ref _endedAfter);

    public void OnDatagram(TunnelChannel channel, ReadOnlySpan<byte> datagram, uint gapMicroseconds)
    {
        _sinceEnd++;
        _received++;
    }

    public void OnBatchEnd(TunnelChannel channel)
    {
        if (_sinceEnd == 0)
        {
            Volatile.Write(ref _emptyEnds, _emptyEnds + 1);
        }

        _sinceEnd = 0;
        Volatile.Write(ref _ends, _ends + 1);
        Volatile.Write(ref _endedAfter, _received);
    }

    public void OnClosed(TunnelChannel channel, TunnelErrorCode code)
    {
    }
}
