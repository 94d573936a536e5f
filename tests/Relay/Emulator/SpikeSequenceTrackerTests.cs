using FastSpinnRelay.Relay.Emulator;

namespace FastSpinnRelay.Relay.Tests.Emulator;

public class SpikeSequenceTrackerTests
{
    [Fact]
    public void In_order_stream_has_no_faults()
    {
        var t = new SpikeSequenceTracker();
        for (uint s = 100; s < 10_100; s++)
        {
            t.Observe(s);
        }

        Assert.Equal((10_000, 0, 0, 0), (t.Received, t.Lost, t.Duplicated, t.Reordered));
    }

    [Fact]
    public void Gap_duplicate_and_late_arrival_are_told_apart()
    {
        var t = new SpikeSequenceTracker();
        foreach (var s in new uint[] { 0, 1, 3, 4, 4, 2, 7 })
        {
            t.Observe(s);
        }

        // 2 arrived late (reordered), 4 twice (duplicate), 5 and 6 never.
        Assert.Equal(7, t.Received);
        Assert.Equal(2, t.Lost);
        Assert.Equal(1, t.Duplicated);
        Assert.Equal(1, t.Reordered);
        Assert.Equal(8u, t.Expected);
    }

    [Fact]
    public void Sequence_wraps_at_32_bits()
    {
        var t = new SpikeSequenceTracker();
        t.Observe(uint.MaxValue - 1);
        t.Observe(uint.MaxValue);
        t.Observe(0);
        t.Observe(1);
        Assert.Equal((4, 0, 0), (t.Received, t.Lost, t.Duplicated));
    }

    [Fact]
    public void Jump_beyond_window_counts_loss_and_old_packets_are_too_late()
    {
        var t = new SpikeSequenceTracker(window: 64);
        t.Observe(0);
        t.Observe(1000);
        t.Observe(1);
        Assert.Equal(999, t.Lost);
        Assert.Equal(1, t.TooLate);
    }
}
