using System.Net.WebSockets;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Relay.Spalloc.Server.Internal;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>
/// What the Spalloc server does every second (housekeeping) and what a websocket's send queue does under a burst
/// allocates nothing once set up, however often it runs (measured on the calling thread).
/// </summary>
public class HousekeepingAllocationTests
{
    [Fact]
    public void Expiring_idle_login_sessions_allocates_nothing_when_none_is_idle()
    {
        var time = new ManualTime();
        var store = new SessionStore(time, TimeSpan.FromMinutes(10));
        for (var i = 0; i < 5; i++)
        {
            store.Create(SpallocTestServer.KnownUsers[0]);
        }

        Assert.Equal(0, store.ExpireIdle()); // warm up
        Allocations.AssertNone(() =>
        {
            for (var i = 0; i < 1_000; i++)
            {
                store.ExpireIdle();
            }
        });
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(5, store.ExpireIdle());
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void Checking_websockets_for_stalls_allocates_nothing_however_many_are_open()
    {
        using var hub = new ProxyHub(new SpallocServerOptions());
        var allocation = new JobAllocation([], [], 0, 0, 0, 0, 1);
        var sessions = Enumerable.Range(0, 4)
            .Select(i => new ProxySession(WebSocket.CreateFromStream(new MemoryStream(), isServer: true, null, TimeSpan.Zero), hub, i, "alice", allocation, "test"))
            .ToArray();
        foreach (var session in sessions)
        {
            hub.Add(session);
        }

        hub.CheckStalls(); // warm up
        Allocations.AssertNone(() =>
        {
            for (var i = 0; i < 1_000; i++)
            {
                hub.CheckStalls();
            }
        });
        Assert.All(sessions, s => Assert.Equal(ProxyShutdownReason.None, s.Reason));
    }

    [Fact]
    public void A_send_batch_filled_to_its_limit_with_eieio_frames_never_grows()
    {
        const int limit = 64 << 10;
        var batch = new FrameBatch(limit);
        Assert.True(batch.RecordCapacity >= limit / FrameBatch.SizedForFrameBytes);
        Allocations.AssertNone(() =>
        {
            for (var round = 0; round < 3; round++)
            {
                while (batch.Bytes + FrameBatch.SizedForFrameBytes <= limit)
                {
                    batch.Append(FrameBatch.SizedForFrameBytes, droppable: true)[0] = 1;
                }

                batch.Reset();
            }
        });
    }
}
