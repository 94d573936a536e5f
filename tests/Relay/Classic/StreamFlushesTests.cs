using FastSpinnRelay.Relay.Classic.Internal;
using FastSpinnRelay.Relay.Tests.Udp;
using FastSpinnRelay.Tunnel.Legacy;
using static FastSpinnRelay.Relay.Tests.Classic.LoopTestSupport;

namespace FastSpinnRelay.Relay.Tests.Classic;

public class StreamFlushesTests
{
    [Fact]
    public void Appends_below_half_the_outbox_are_written_once_per_flow_at_the_end_of_the_iteration()
    {
        using var loop = UdpTestSupport.NewLoop(portable: false);
        var flushes = new StreamFlushes(loop);
        var a = new FakeFlow();
        var b = new FakeFlow();
        var seenDuring = -1;

        RunOnLoop(loop, () =>
        {
            flushes.Appended(a, 100);
            flushes.Appended(b, 100);
            flushes.Appended(a, 200); // the same flow again: still one write
            seenDuring = a.Flushes + b.Flushes;
        });

        Assert.Equal(0, seenDuring);
        Assert.True(UdpTestSupport.WaitUntil(() => a.Flushes == 1 && b.Flushes == 1));
        RunOnLoop(loop, () => { }); // a later iteration writes nothing more
        Assert.Equal(1, a.Flushes);
        Assert.Equal(1, b.Flushes);
        Assert.False(a.FlushScheduled);
        Assert.Equal(0, flushes.Due);
    }

    [Fact]
    public void Half_the_outbox_waiting_is_written_at_once_and_the_next_iteration_schedules_afresh()
    {
        using var loop = UdpTestSupport.NewLoop(portable: false);
        var flushes = new StreamFlushes(loop);
        var flow = new FakeFlow();
        var seenDuring = -1;

        RunOnLoop(loop, () =>
        {
            flushes.Appended(flow, flow.Outbox.Capacity / 2);
            seenDuring = flow.Flushes;
        });

        Assert.Equal(1, seenDuring);
        RunOnLoop(loop, () => { });
        Assert.Equal(1, flow.Flushes); // nothing was scheduled for later

        RunOnLoop(loop, () => flushes.Appended(flow, 10));
        Assert.True(UdpTestSupport.WaitUntil(() => flow.Flushes == 2));
    }

    [Fact]
    public void A_stopped_loop_gets_the_write_done_at_once()
    {
        var loop = UdpTestSupport.NewLoop(portable: false);
        loop.Dispose();
        var flushes = new StreamFlushes(loop);
        var flow = new FakeFlow();

        flushes.Appended(flow, 10);

        Assert.Equal(1, flow.Flushes);
        Assert.Equal(0, flushes.Due);
    }

    private sealed class FakeFlow : IStreamFlow
    {
        private int _flushes;

        public FrameOutbox Outbox { get; } = new(8192);

        public bool FlushScheduled { get; set; }

        public int Flushes => Volatile.Read(ref _flushes);

        public void FlushOrWake() => Interlocked.Increment(ref _flushes);
    }
}
