using FastSpinnRelay.Tests.Shared;
using FastSpinnRelay.Tunnel.Tests.TestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>
/// Time-driven work allocates nothing per tick: what a tunnel allocates over many timer ticks is what it allocates over
/// a few (no timing is asserted; ticks are counted, bytes compared). The process's other threads (the test runner's)
/// allocate now and then too, only ever adding bytes, so the least excess over a few rounds is what a tick costs.
/// </summary>
[Collection(AllocationCollection.Name)]
public class SteadyStateAllocationTests
{
    /// <summary>Bytes allowed for whatever the runtime does meanwhile (a thread-pool thread starting): far under one allocation per tick.</summary>
    private const long Slack = 4096;

    [Fact]
    public async Task Keepalive_ticks_and_pings_allocate_nothing_per_tick()
    {
        var log = new TestLog();
        var clientTime = new CountingTimeProvider();
        var server = new TunnelServerOptions { Key = TunnelPair.Key, Log = log, PingInterval = TimeSpan.FromMilliseconds(10), DeadPeerTimeout = TimeSpan.FromSeconds(30) };
        var client = new TunnelClientOptions
        {
            Key = TunnelPair.Key, Log = log, PingInterval = TimeSpan.FromMilliseconds(10), DeadPeerTimeout = TimeSpan.FromSeconds(30), TimeProvider = clientTime,
        };
        await using TunnelPair pair = await TunnelPair.StartAsync(serverOptions: server, clientOptions: client, log: log);

        WaitTicks(clientTime, 20); // warm up: every path of a tick and of a ping has run
        long excess = ExcessOfManyTicks(clientTime);

        Assert.True(pair.Client.Session.GetCounters().PongsReceived > 0, "the client pinged");
        Assert.True(excess <= Slack, $"100 keepalive ticks allocated {excess} B more than 10 did: a tick allocates");
        Assert.Equal(1, pair.Client.Handshakes);
    }

    [Fact]
    public async Task Session_sweeps_allocate_nothing_per_sweep()
    {
        var time = new CountingTimeProvider();
        var options = new TunnelServerOptions { Key = TunnelPair.Key, SessionLinger = TimeSpan.FromMilliseconds(40), TimeProvider = time }; // a sweep every 10 ms
        await using var server = new TunnelServer(options, new FastSpinnRelay.Tunnel.Transport.InMemoryTunnelTransport(), new RecordingAcceptor());
        server.Start();
        WaitTicks(time, 5);
        long excess = ExcessOfManyTicks(time);
        Assert.True(excess <= Slack, $"100 sweeps allocated {excess} B more than 10 did: a sweep allocates");
    }

    /// <summary>The least, over five rounds, of what 100 ticks allocated beyond what 10 ticks did.</summary>
    private static long ExcessOfManyTicks(CountingTimeProvider time)
    {
        long least = long.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long few = AllocationCollection.AllocatedUntil(TicksFrom(time, 10), "10 ticks");
            long many = AllocationCollection.AllocatedUntil(TicksFrom(time, 100), "100 ticks");
            least = Math.Min(least, many - few);
        }

        return least;
    }

    private static Func<bool> TicksFrom(CountingTimeProvider time, int ticks)
    {
        long until = time.Fired + ticks;
        return () => time.Fired >= until;
    }

    private static void WaitTicks(CountingTimeProvider time, int ticks) => AllocationCollection.AllocatedUntil(TicksFrom(time, ticks), $"{ticks} ticks");
}

