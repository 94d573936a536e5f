using FastSpinnRelay.Relay.Tunneling.Internal;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>Tests that measure the whole process's allocations run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessAllocationCollection
{
    public const string Name = "Process allocation";
}

/// <summary>
/// The boot pacer waits every gap on one timer it keeps: pacing many packets allocates what pacing a few does. The
/// sender runs on the thread pool, so the whole process is measured; other threads (the test runner's) only ever add
/// bytes, so the least excess over a few rounds is what the packets cost. No timing is asserted.
/// </summary>
[Collection(ProcessAllocationCollection.Name)]
public class BootPacerTests
{
    [Fact]
    public void Paced_packets_allocate_nothing_per_packet()
    {
        using var loop = NewLoop(portable: false);
        using var board = Open(portable: false);
        using var sender = Open(portable: false);
        sender.Connect(board.LocalEndPoint);
        var owner = new BoardChannelAcceptor(loop, board.LocalEndPoint, board.LocalEndPoint, TimeSpan.FromMilliseconds(1), "test");
        var pacer = new BootPacer(sender, TimeSpan.FromMilliseconds(1), owner); // every packet waits at least 1 ms
        try
        {
            Pace(pacer, owner, 20); // warm up
            var least = long.MaxValue;
            for (var round = 0; round < 5; round++)
            {
                var few = Pace(pacer, owner, 10);
                var many = Pace(pacer, owner, 100);
                least = Math.Min(least, many - few);
            }

            Assert.True(least <= 4096, $"100 paced packets allocated {least} B more than 10 did: pacing allocates per packet");
        }
        finally
        {
            pacer.Dispose();
        }
    }

    /// <summary>Queues <paramref name="count"/> packets (a few at a time) and returns what the process allocated until all were sent.</summary>
    private static long Pace(BootPacer pacer, BoardChannelAcceptor owner, int count)
    {
        var packet = new byte[64];
        var target = owner.BootPacketsSent + count;
        var queued = 0;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var waited = 0; owner.BootPacketsSent < target; waited++)
        {
            Assert.True(waited < 60_000, "gave up waiting for the pacer");
            while (queued < count && pacer.TryEnqueue(packet, gapMicroseconds: 0))
            {
                queued++;
            }

            Thread.Sleep(1);
        }

        return GC.GetTotalAllocatedBytes(precise: true) - before;
    }
}
