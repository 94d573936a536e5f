using System.Numerics;

namespace FastSpinnRelay.Relay.Bench;

/// <summary>
/// A log-linear latency histogram in nanoseconds: exact below 128 ns, then 128 linear sub-buckets per power of
/// two, so any recorded value is reported within 0.8 % (1/128) of itself. Covers 0 to 2^41 ns (about 36 min);
/// larger values land in the last bucket. Fixed size (about 36 KB), allocated once; <see cref="Record"/> never
/// allocates.
/// </summary>
/// <remarks>
/// Threading: not thread-safe. Give each thread its own histogram and <see cref="Add"/> them together afterwards
/// (merging is exact: the bucket layout is fixed).
/// </remarks>
public sealed class LatencyHistogram
{
    /// <summary>Linear sub-buckets per power of two (log2 = 7): the resolution is 1/128.</summary>
    private const int SubBucketBits = 7;
    private const int SubBuckets = 1 << SubBucketBits;

    /// <summary>Highest power of two tracked: values up to 2^(MaxBit+1)-1 ns keep their resolution.</summary>
    private const int MaxBit = 40;

    private readonly long[] _counts = new long[SubBuckets * (MaxBit - SubBucketBits + 2)];
    private long _count;
    private long _min = long.MaxValue;
    private long _max;
    private double _sum;

    /// <summary>Values recorded.</summary>
    public long Count => _count;

    /// <summary>Smallest value recorded, in ns (0 when empty).</summary>
    public long Min => _count == 0 ? 0 : _min;

    /// <summary>Largest value recorded, in ns (0 when empty).</summary>
    public long Max => _max;

    /// <summary>Mean of the recorded values, in ns (0 when empty).</summary>
    public double Mean => _count == 0 ? 0 : _sum / _count;

    /// <summary>Largest value that keeps its resolution, in ns; larger ones are counted in the top bucket.</summary>
    public static long HighestTrackable => (1L << (MaxBit + 1)) - 1;

    /// <summary>Counts one value in ns; negative values count as 0.</summary>
    public void Record(long nanoseconds)
    {
        var value = Math.Max(0, nanoseconds);
        _counts[IndexOf(value)]++;
        _count++;
        _sum += value;
        if (value < _min)
        {
            _min = value;
        }

        if (value > _max)
        {
            _max = value;
        }
    }

    /// <summary>Adds every count of <paramref name="other"/> to this one.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        _count += other._count;
        _sum += other._sum;
        _min = Math.Min(_min, other._min);
        _max = Math.Max(_max, other._max);
    }

    /// <summary>Forgets everything recorded.</summary>
    public void Reset()
    {
        Array.Clear(_counts);
        _count = 0;
        _sum = 0;
        _min = long.MaxValue;
        _max = 0;
    }

    /// <summary>
    /// The value at <paramref name="percentile"/> (0 to 100) in ns: the middle of the bucket holding that rank,
    /// clamped to the recorded min and max (the max itself for values beyond <see cref="HighestTrackable"/>).
    /// 0 when empty.
    /// </summary>
    public long Percentile(double percentile)
    {
        if (_count == 0)
        {
            return 0;
        }

        var p = Math.Clamp(percentile, 0, 100);
        var rank = Math.Max(1, (long)Math.Ceiling(p / 100 * _count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                if (i == _counts.Length - 1)
                {
                    return Max; // the overflow bucket has no useful middle
                }

                var (low, high) = BucketRange(i);
                return Math.Clamp(low + ((high - low) / 2), Min, Max);
            }
        }

        return Max;
    }

    /// <summary>The bucket of a value (internal for tests).</summary>
    internal static int IndexOf(long value)
    {
        if (value < SubBuckets)
        {
            return (int)value;
        }

        var bit = Math.Min(63 - BitOperations.LeadingZeroCount((ulong)value), MaxBit);
        if (value > HighestTrackable)
        {
            return (SubBuckets * (MaxBit - SubBucketBits + 2)) - 1;
        }

        var shift = bit - SubBucketBits;
        var sub = (int)(value >> shift) - SubBuckets;
        return SubBuckets + (shift * SubBuckets) + sub;
    }

    /// <summary>The values a bucket holds, inclusive (internal for tests).</summary>
    internal static (long Low, long High) BucketRange(int index)
    {
        if (index < SubBuckets)
        {
            return (index, index);
        }

        var shift = (index - SubBuckets) / SubBuckets;
        var sub = (index - SubBuckets) % SubBuckets;
        var low = (long)(SubBuckets + sub) << shift;
        return (low, low + (1L << shift) - 1);
    }
}
