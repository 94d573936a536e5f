using FastSpinnRelay.Relay.Udp;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>
/// <see cref="UdpEventLoopOptions.SpinBeforeSleep"/>: after handling datagrams the loop polls before it sleeps. Two
/// sockets of one loop bounce a datagram between them: each bounce is queued by a receiver and flushed at the end
/// of the iteration, so it is already waiting when the next iteration polls. No test asserts on timing.
/// (Forwarding with spin on allocates nothing: UdpEventLoopTests.)
/// </summary>
public class UdpEventLoopSpinTests
{
    private static readonly UdpEventLoopOptions Spinning = new() { SpinBeforeSleep = TimeSpan.FromMilliseconds(1) };

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void A_spinning_loop_picks_up_what_it_sent_to_itself_without_sleeping(bool portable)
    {
        using var bounce = new Bounce(portable, Spinning, limit: 200);

        Assert.True(WaitUntil(() => bounce.Count == 200));
        Assert.True(bounce.Loop.SpinHits > 0);
        Assert.True(bounce.Loop.SpinHits < bounce.Loop.Iterations);
        Assert.Equal(0, bounce.Loop.CallbackFaults);
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void A_loop_without_spin_counts_no_spin_hits(bool portable)
    {
        using var bounce = new Bounce(portable, UdpEventLoopOptions.Default, limit: 200);

        Assert.True(WaitUntil(() => bounce.Count == 200));
        Assert.Equal(0, bounce.Loop.SpinHits);
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Commands_and_stop_reach_a_loop_that_never_sleeps(bool portable)
    {
        using var bounce = new Bounce(portable, Spinning, limit: long.MaxValue);
        Assert.True(WaitUntil(() => bounce.Count > 1_000));

        var probe = new AllocationProbe();
        Assert.True(bounce.Loop.Post(probe));
        Assert.True(WaitUntil(() => probe.Samples == 1));

        Assert.True(bounce.Loop.Stop());
        Assert.False(bounce.Loop.IsRunning);
    }

    /// <summary>
    /// A loop with sockets x and y, each sending every datagram it receives on to the other until <c>limit</c>
    /// bounces in all, started by one datagram sent to x from outside.
    /// </summary>
    private sealed class Bounce : IDisposable
    {
        private readonly long _limit;
        private readonly UdpSocket _outside;
        private readonly UdpSocket _x;
        private readonly UdpSocket _y;
        private long _count;

        public Bounce(bool portable, UdpEventLoopOptions options, long limit)
        {
            _limit = limit;
            Loop = NewLoop(portable, options);
            _outside = Open(portable);
            _x = Open(portable);
            _y = Open(portable);
            Assert.True(Loop.Register(_x, new Side(this, _y)));
            Assert.True(Loop.Register(_y, new Side(this, _x)));
            Assert.Equal(UdpStatus.Ok, _outside.SendTo("ping"u8, _x.LocalAddress));
        }

        public UdpEventLoop Loop { get; }

        public long Count => Volatile.Read(ref _count);

        public void Dispose()
        {
            Loop.Dispose();
            _outside.Dispose();
            _x.Dispose();
            _y.Dispose();
        }

        private sealed class Side(Bounce owner, UdpSocket next) : IUdpReceiver
        {
            public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
            {
                for (var i = 0; i < batch.Count && owner._count < owner._limit; i++)
                {
                    socket.QueueSendTo(batch.GetPayload(i), next.LocalAddress);
                    Volatile.Write(ref owner._count, owner._count + 1);
                }
            }
        }
    }
}
