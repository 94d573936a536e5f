using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;

namespace FastSpinnRelay.Relay.Tests.Bench;

public class BenchPayloadTests
{
    [Theory]
    [InlineData(12)]
    [InlineData(24)]
    [InlineData(1042)]
    public void Stamp_round_trips_and_keeps_the_filler(int size)
    {
        var datagram = new byte[size];
        BenchPayload.Fill(datagram);
        var filler = datagram[12..];

        Assert.True(BenchPayload.TryStamp(datagram, 0x0123_4567_89AB_CDEF, 0x8000_0005));
        Assert.True(BenchPayload.TryRead(datagram, out var timestamp, out var sequence));
        Assert.Equal(0x0123_4567_89AB_CDEF, timestamp);
        Assert.Equal(0x8000_0005u, sequence);
        Assert.Equal(filler, datagram[12..]);
    }

    [Fact]
    public void Stamp_layout_is_little_endian_timestamp_then_sequence()
    {
        var datagram = new byte[12];
        BenchPayload.TryStamp(datagram, 0x0102030405060708, 0x0A0B0C0D);
        Assert.Equal(new byte[] { 8, 7, 6, 5, 4, 3, 2, 1, 0x0D, 0x0C, 0x0B, 0x0A }, datagram);
    }

    [Fact]
    public void Short_datagrams_are_refused_without_throwing()
    {
        var shortOne = new byte[11];
        Assert.False(BenchPayload.TryStamp(shortOne, 1, 1));
        Assert.All(shortOne, b => Assert.Equal(0, b));
        Assert.False(BenchPayload.TryRead(shortOne, out var timestamp, out var sequence));
        Assert.Equal(0, timestamp);
        Assert.Equal(0u, sequence);
        Assert.False(BenchPayload.TryRead([], out _, out _));
    }

    [Fact]
    public void Random_input_never_throws()
    {
        var random = new Random(11);
        var buffer = new byte[64];
        for (var i = 0; i < 100_000; i++)
        {
            var length = random.Next(0, buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, length));
            var ok = BenchPayload.TryRead(buffer.AsSpan(0, length), out _, out _);
            Assert.Equal(length >= BenchPayload.StampLength, ok);
        }
    }

    [Fact]
    public void Sequence_tracker_counts_unique_duplicate_reordered_and_late()
    {
        var tracker = new SequenceTracker();
        foreach (var s in new long[] { 0, 1, 3, 2, 3, 5 })
        {
            tracker.Observe(s);
        }

        Assert.Equal(5, tracker.Unique);
        Assert.Equal(1, tracker.Duplicates);
        Assert.Equal(1, tracker.Reordered);
        Assert.Equal(5, tracker.Highest);

        tracker.Observe(5 + SequenceTracker.Window + 10);
        tracker.Observe(4); // far behind the window now: cannot be told from a duplicate
        Assert.Equal(1, tracker.TooLate);
        Assert.Equal(6, tracker.Unique);

        // A number the window slid past is forgotten, so it is not a duplicate when it comes back into range.
        tracker.Observe(5 + SequenceTracker.Window + 9);
        Assert.Equal(7, tracker.Unique);
        Assert.Equal(1, tracker.Duplicates);
    }
}
