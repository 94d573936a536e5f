using System.Net;
using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Bench;

public class StreamGeneratorTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(50_000)]
    public void The_generator_allocates_nothing_while_sending_and_the_sink_counts_what_it_sent(long rate)
    {
        using var sink = new StreamSink();
        using var generator = new StreamGenerator(sink.Address, 64);

        generator.Run(0, TimeSpan.FromMilliseconds(50), rate); // first use: JIT, send slots

        // Each measured run sends thousands of datagrams: one run at 0 B proves the sending loop allocates nothing.
        Allocations.AssertNone(() => generator.Run(StreamGenerator.MeasuredBase, TimeSpan.FromMilliseconds(100), rate));
        Assert.True(generator.Sent > 0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (sink.Received == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(1);
        }

        Assert.True(sink.Received > 0);
    }

    [Fact]
    public void The_sink_reads_stamps_and_tracks_measured_sequences()
    {
        using var sink = new StreamSink();
        using var sender = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        var datagram = new byte[24];
        foreach (var sequence in new uint[] { 7, StreamGenerator.MeasuredBase, StreamGenerator.MeasuredBase + 2, StreamGenerator.MeasuredBase + 1, StreamGenerator.MeasuredBase + 1 })
        {
            BenchPayload.TryStamp(datagram, System.Diagnostics.Stopwatch.GetTimestamp(), sequence);
            sender.SendTo(datagram, sink.Address);
        }

        sender.SendTo(new byte[5], sink.Address); // too short for a stamp
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (sink.Received < 6 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(1);
        }

        sink.Dispose();
        Assert.Equal(6, sink.Received);
        Assert.Equal(1, sink.Malformed);
        Assert.Equal(3, sink.Sequences.Unique);
        Assert.Equal(1, sink.Sequences.Duplicates);
        Assert.Equal(1, sink.Sequences.Reordered);
        Assert.Equal(4, sink.Latency.Count);
    }
}
