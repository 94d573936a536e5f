using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>A run handler takes a batch's datagrams for its channel in one call; what it leaves or throws over is counted.</summary>
public class DatagramRunTests
{
    [Fact]
    public void A_batch_splits_into_runs_at_each_change_of_channel()
    {
        byte[] records = Records((5, 1), (5, 2), (6, 3), (5, 4));
        TunnelBatchRecordEnumerator walk = TunnelBatchRecords.Enumerate(records);
        Assert.True(walk.MoveNext());
        var runs = new List<string>();
        bool more = true;
        while (more)
        {
            ushort channel = walk.Channel;
            var run = new TunnelDatagramRun(walk);
            var bytes = new List<byte>();
            while (run.TryNext(out ReadOnlySpan<byte> datagram))
            {
                bytes.Add(datagram[0]);
            }

            Assert.False(run.TryNext(out _)); // stays over
            Assert.Equal(bytes.Count, run.Finish());
            runs.Add($"{channel}:{string.Join(',', bytes)}");
            more = run.NextRun(out walk);
        }

        Assert.Equal(["5:1,2", "6:3", "5:4"], runs);
    }

    [Fact]
    public void Finishing_a_run_read_in_part_counts_all_of_it_and_finds_the_next_run()
    {
        TunnelBatchRecordEnumerator walk = TunnelBatchRecords.Enumerate(Records((5, 1), (5, 2), (5, 3), (6, 4)));
        Assert.True(walk.MoveNext());
        var run = new TunnelDatagramRun(walk);

        Assert.True(run.TryNext(out ReadOnlySpan<byte> first));
        Assert.Equal(1, first[0]);
        Assert.Equal(1, run.Count);
        Assert.Equal(3, run.Finish());
        Assert.True(run.NextRun(out walk));
        Assert.Equal(6, walk.Channel);
        Assert.Equal(4, walk.Datagram[0]);
    }

    [Fact]
    public void A_copy_of_a_run_reads_the_same_datagrams_again_without_moving_the_run()
    {
        TunnelBatchRecordEnumerator walk = TunnelBatchRecords.Enumerate(Records((5, 1), (5, 2), (5, 3), (6, 4)));
        Assert.True(walk.MoveNext());
        var run = new TunnelDatagramRun(walk);

        var copy = run;
        var again = new List<byte>();
        while (copy.TryNext(out ReadOnlySpan<byte> datagram))
        {
            again.Add(datagram[0]);
        }

        Assert.Equal([1, 2, 3], again);
        Assert.Equal(0, run.Count);
        Assert.True(run.TryNext(out ReadOnlySpan<byte> first));
        Assert.Equal(1, first[0]);

        var rest = run; // from the middle: reads on from there
        Assert.True(rest.TryNext(out ReadOnlySpan<byte> second));
        Assert.Equal(2, second[0]);
        Assert.Equal(3, run.Finish());
        Assert.True(run.NextRun(out walk));
        Assert.Equal(6, walk.Channel);
    }

    [Fact]
    public async Task A_run_handler_gets_every_datagram_in_order_with_fewer_calls_than_datagrams()
    {
        var handler = new RunHandler();
        var (pair, board) = await OpenAsync(handler);
        await using var _ = pair;
        byte[][] spikes = Spikes(3000);

        Send(board, spikes);

        await Bounded.Until(() => handler.Count == spikes.Length, "every spike packet");
        Assert.Equal(spikes, handler.Datagrams);
        Assert.InRange(handler.Runs, 1, spikes.Length - 1);
        Assert.Equal(handler.Runs, handler.Ends); // every run is followed by its end
        Assert.Equal(spikes.Length, pair.Client.Session.GetCounters().LatestDatagramsReceived);
    }

    [Fact]
    public async Task What_a_run_handler_leaves_unread_or_throws_over_is_counted_and_later_runs_still_come()
    {
        var handler = new RunHandler { ReadAtMost = 1, ThrowEveryOther = true };
        var (pair, board) = await OpenAsync(handler);
        await using var _ = pair;
        byte[][] spikes = Spikes(3000);

        Send(board, spikes);

        TunnelSession client = pair.Client.Session;
        await Bounded.Until(
            () => client.GetCounters().LatestDatagramsReceived + client.GetCounters().DatagramsForClosedChannels == spikes.Length,
            "every spike delivered or counted undelivered");
        TunnelSessionCounters counters = client.GetCounters();
        Assert.Equal(handler.Count, counters.LatestDatagramsReceived);
        Assert.Equal((handler.Runs + 1) / 2, counters.HandlerFaults);
        Assert.True(handler.Runs > 1, "runs after a throw still arrive");
        Assert.Equal(handler.Runs, handler.Ends);
    }

    private static async Task<(TunnelPair Pair, TunnelChannel Board)> OpenAsync(ITunnelChannelHandler visualiser)
    {
        var log = new TestLog();
        var serverOptions = new TunnelServerOptions { Key = TunnelPair.Key, Log = log, LatestQueueBytes = 4 * 1024 * 1024 };
        TunnelPair pair = await TunnelPair.StartAsync(serverOptions: serverOptions, log: log);
        pair.Client.Session.OpenChannel(TunnelChannelKind.EieioOutput, new TunnelTarget(null, 2), visualiser);
        await Bounded.Until(() => pair.ServerAcceptor.Opened.Length == 1, "the channel to open");
        return (pair, pair.ServerAcceptor.Opened[0].Channel);
    }

    private static byte[][] Spikes(int count) => [.. Enumerable.Range(0, count).Select(i => SpikeStream.Packet(i, keysPerPacket: 5, population: 1024))];

    private static void Send(TunnelChannel board, byte[][] spikes)
    {
        foreach (byte[] spike in spikes)
        {
            Assert.Equal(TunnelSendStatus.Sent, board.TrySend(spike));
        }
    }

    private static byte[] Records(params (ushort Channel, byte Value)[] datagrams)
    {
        var records = new byte[datagrams.Length * TunnelBatchRecords.RecordLength(1)];
        int at = 0;
        foreach ((ushort channel, byte value) in datagrams)
        {
            Assert.True(TunnelBatchRecords.TryWrite(records.AsSpan(at), channel, [value], out int written));
            at += written;
        }

        return records;
    }

    /// <summary>Records runs into a <see cref="RecordingHandler"/> (the receive loop is its only caller).</summary>
    private sealed class RunHandler : ITunnelRunHandler
    {
        private readonly RecordingHandler _recorded = new();
        private int _runs;
        private int _ends;

        /// <summary>Datagrams read per run (the rest are left to the tunnel).</summary>
        public int ReadAtMost { get; init; } = int.MaxValue;

        /// <summary>Throw after reading, on the first run and every other one after it.</summary>
        public bool ThrowEveryOther { get; init; }

        public int Runs => Volatile.Read(ref _runs);

        public int Ends => Volatile.Read(ref _ends);

        public int Count => _recorded.Count;

        public byte[][] Datagrams => _recorded.Datagrams;

        public void OnDatagrams(TunnelChannel channel, ref TunnelDatagramRun run)
        {
            int runs = Interlocked.Increment(ref _runs);
            while (run.Count < ReadAtMost && run.TryNext(out ReadOnlySpan<byte> datagram))
            {
                _recorded.OnDatagram(channel, datagram, 0);
            }

            if (ThrowEveryOther && runs % 2 == 1)
            {
                throw new InvalidOperationException("a visualiser that fails");
            }
        }

        public void OnDatagram(TunnelChannel channel, ReadOnlySpan<byte> datagram, uint gapMicroseconds) =>
            throw new InvalidOperationException("latest-class datagrams come as runs");

        public void OnBatchEnd(TunnelChannel channel) => Interlocked.Increment(ref _ends);

        public void OnClosed(TunnelChannel channel, TunnelErrorCode code)
        {
        }
    }
}
