using FastSpinnRelay.Relay.Bench;

namespace FastSpinnRelay.Relay.Tests.Bench;

public class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_of_a_uniform_range_are_within_one_percent()
    {
        var histogram = new LatencyHistogram();
        for (long v = 1; v <= 100_000; v++)
        {
            histogram.Record(v * 10);
        }

        Assert.Equal(100_000, histogram.Count);
        AssertNear(500_000, histogram.Percentile(50));
        AssertNear(990_000, histogram.Percentile(99));
        AssertNear(999_000, histogram.Percentile(99.9));
        Assert.Equal(10, histogram.Min);
        Assert.Equal(1_000_000, histogram.Max);
        Assert.Equal(500_005, histogram.Mean, 3);
    }

    [Fact]
    public void Small_values_are_exact()
    {
        var histogram = new LatencyHistogram();
        foreach (var v in new long[] { 3, 3, 7, 100, 127 })
        {
            histogram.Record(v);
        }

        Assert.Equal(3, histogram.Percentile(0));
        Assert.Equal(3, histogram.Percentile(40));
        Assert.Equal(7, histogram.Percentile(60));
        Assert.Equal(127, histogram.Percentile(100));
    }

    [Fact]
    public void Two_known_populations_give_their_own_percentiles()
    {
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 990; i++)
        {
            histogram.Record(20_000); // 20 µs
        }

        for (var i = 0; i < 10; i++)
        {
            histogram.Record(5_000_000); // 5 ms
        }

        AssertNear(20_000, histogram.Percentile(50));
        AssertNear(20_000, histogram.Percentile(99));
        AssertNear(5_000_000, histogram.Percentile(99.9));
    }

    [Fact]
    public void Merging_equals_recording_everything_in_one()
    {
        var a = new LatencyHistogram();
        var b = new LatencyHistogram();
        var all = new LatencyHistogram();
        var random = new Random(7);
        for (var i = 0; i < 50_000; i++)
        {
            var v = (long)Math.Exp(random.NextDouble() * 20);
            (i % 3 == 0 ? a : b).Record(v);
            all.Record(v);
        }

        a.Add(b);
        Assert.Equal(all.Count, a.Count);
        Assert.Equal(all.Min, a.Min);
        Assert.Equal(all.Max, a.Max);
        foreach (var p in new[] { 0, 1, 50, 90, 99, 99.9, 100 })
        {
            Assert.Equal(all.Percentile(p), a.Percentile(p));
        }
    }

    [Fact]
    public void Empty_negative_and_huge_values_are_safe()
    {
        var histogram = new LatencyHistogram();
        Assert.Equal(0, histogram.Percentile(50));
        Assert.Equal(0, histogram.Min);
        histogram.Record(-5);
        histogram.Record(long.MaxValue);
        Assert.Equal(0, histogram.Percentile(1));
        Assert.Equal(long.MaxValue, histogram.Percentile(100));
        histogram.Reset();
        Assert.Equal(0, histogram.Count);
    }

    [Fact]
    public void Buckets_tile_the_range_without_gaps()
    {
        long expectedLow = 0;
        for (var index = 0; ; index++)
        {
            var (low, high) = LatencyHistogram.BucketRange(index);
            Assert.Equal(expectedLow, low);
            Assert.Equal(index, LatencyHistogram.IndexOf(low));
            Assert.Equal(index, LatencyHistogram.IndexOf(high));
            Assert.True(low < 128 || (high - low + 1) * 128.0 / low <= 1.0 + 1e-9, $"bucket {index} is wider than 1/128 of its value");
            if (high >= LatencyHistogram.HighestTrackable)
            {
                break;
            }

            expectedLow = high + 1;
        }
    }

    private static void AssertNear(long expected, long actual) =>
        Assert.True(Math.Abs(actual - expected) <= expected / 100.0, $"expected {expected} within 1 %, got {actual}");
}
