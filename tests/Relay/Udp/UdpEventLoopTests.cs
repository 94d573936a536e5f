using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tests.Shared;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>Forwarding through a loop: A → loop socket L → B. Each test runs on epoll + recvmmsg and on the portable path.</summary>
public class UdpEventLoopTests
{
    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Forwards_ten_thousand_datagrams_intact(bool portable)
    {
        using var loop = NewLoop(portable);
        using var a = Open(portable);
        using var l = Open(portable);
        using var b = Open(portable);
        var forwarder = new Forwarder(l, b.LocalAddress);
        Assert.True(loop.Register(l, forwarder));
        Assert.Equal(!portable && OperatingSystem.IsLinux(), loop.UsesEpoll);

        var intact = Pump(a, l.LocalAddress, b, 10_000);

        Assert.Equal(10_000, intact);
        Assert.Equal(10_000, forwarder.Datagrams);
        var counters = l.GetCounters();
        Assert.Equal(10_000, counters.DatagramsIn);
        Assert.Equal(10_000, counters.DatagramsOut);
        Assert.Equal(counters.BytesIn, counters.BytesOut);
        Assert.Equal(0, counters.SendDrops + counters.SendErrors + counters.ReceiveErrors + counters.Truncated);
        Assert.Equal(0, loop.CallbackFaults);
        Assert.True(loop.Iterations > 0);
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void ICMP_errors_on_connected_sockets_are_counted_and_forwarding_goes_on(bool portable)
    {
        var sink = new RecordingSink();
        using var loop = NewLoop(portable, new UdpEventLoopOptions { ErrorSink = sink });
        using var deadPort = new DeafUdpPort();
        var deadPeer = new UdpSocketOptions { RemoteEndPoint = deadPort.EndPoint, ErrorSink = sink };
        using var a = Open(portable);
        using var l = Open(portable);
        using var b = Open(portable);
        using var dead = Open(portable, deadPeer);
        var recorder = new Recorder(loop);
        var forwarder = new Forwarder(l, b.LocalAddress) { AlsoTo = dead };
        Assert.True(loop.Register(l, forwarder));
        Assert.True(loop.Register(dead, recorder));

        // Every datagram also goes to the dead peer: its ICMP errors hit both the loop's receive and its sends.
        Assert.Equal(500, Pump(a, l.LocalAddress, b, 500));
        Assert.Equal(UdpStatus.Ok, dead.Send("direct, from another thread"u8));
        Assert.True(WaitUntil(() => dead.GetCounters().DatagramsOut + dead.GetCounters().SendErrors == 501));

        Assert.True(dead.GetCounters().IcmpErrors > 0);
        Assert.True(loop.IsRunning);
        Assert.Equal(0, recorder.Datagrams);
        Assert.Empty(sink.Errors);
        Assert.Empty(sink.Faults);

        // And the loop still forwards afterwards.
        Assert.Equal(200, Pump(a, l.LocalAddress, b, 200, firstSequence: 500));
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void Reads_at_most_one_batch_per_ready_socket_per_iteration(bool portable)
    {
        using var loop = NewLoop(portable, new UdpEventLoopOptions { BatchSize = 8 });
        using var a = Open(portable);
        using var flood = Open(portable);
        using var other = Open(portable);
        var recorder = new Recorder(loop);
        for (var i = 0; i < 80; i++)
        {
            a.QueueSendTo("flood"u8, flood.LocalAddress);
            a.QueueSendTo("other"u8, other.LocalAddress);
        }

        a.FlushSends();
        Assert.True(WaitUntil(() => flood.NetSocket.Available > 0 && other.NetSocket.Available > 0));

        Assert.True(loop.Register(flood, recorder));
        Assert.True(loop.Register(other, recorder));
        Assert.True(WaitUntil(() => recorder.Datagrams == 160));

        var batches = recorder.Batches.ToArray();
        Assert.All(batches, batch => Assert.True(batch.OnLoopThread));
        Assert.Equal(batches.Length, batches.Select(batch => (batch.Socket, batch.Iteration)).Distinct().Count());
        Assert.Contains(batches, batch => batch.Socket == other);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Steady_state_forwarding_allocates_nothing_on_the_loop_thread(bool portable, bool spinning)
    {
        using var loop = NewLoop(portable, spinning ? new UdpEventLoopOptions { SpinBeforeSleep = TimeSpan.FromMilliseconds(1) } : null);
        using var a = Open(portable);
        using var l = Open(portable);
        using var b = Open(portable);
        var meter = new AllocationMeter(new Forwarder(l, b.LocalAddress));
        Assert.True(loop.Register(l, meter));
        Assert.Equal(2_000, Pump(a, l.LocalAddress, b, 2_000)); // warm up: JIT, first-use initialisers

        // Measured between the loop's own callbacks, so only forwarding is in the window: waits, spins, receives,
        // the receiver, flushes. Not a posted probe: handing it over takes the loop's command lock, and the first
        // time that lock is contended the runtime creates its wait event (56 B) on whichever thread waits.
        // Up to three windows; one at 0 B proves forwarding allocates nothing (a per-datagram or per-batch
        // allocation shows in all three). A rare one-off reading of 5-7 KB inside the poll wait while the rest of
        // the suite runs (about 1 in 700 stress runs; cause in the runtime not yet explained) does not.
        var readings = new List<string>();
        long allocated = -1;
        for (var attempt = 0; attempt < 3 && allocated != 0; attempt++)
        {
            meter.Start();
            var first = 2_000 + (attempt * 5_000);
            Assert.Equal(5_000, Pump(a, l.LocalAddress, b, 5_000, firstSequence: first));
            Assert.True(meter.Samples > 1);
            allocated = meter.Allocated;
            readings.Add($"{allocated} B over {meter.Samples} batches");
        }

        Assert.True(allocated == 0, "allocated: " + string.Join("; ", readings));
    }

    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(UdpTestSupport))]
    public void A_flush_that_finds_the_send_buffer_full_resumes_when_writable(bool portable)
    {
        using var loop = NewLoop(portable);
        using var a = Open(portable);
        ScriptedIo? script = null;
        using var l = new UdpSocket(Loopback, new UdpSocketOptions { UsePortableIo = portable }, io => script = new ScriptedIo(io));
        using var b = Open(portable);
        script!.SendBatchScript.Enqueue((3, FastSpinnRelay.Relay.Udp.Internal.IoError.WouldBlock, 11));
        Assert.True(loop.Register(l, new Forwarder(l, b.LocalAddress)));

        Assert.Equal(300, Pump(a, l.LocalAddress, b, 300));
        Assert.Equal(0, l.GetCounters().SendDrops);
        Assert.False(l.WaitingForWritable);
    }

    [Fact]
    public void Pausing_and_resuming_a_socket_reuses_its_registration_and_allocates_nothing()
    {
        using var loop = NewLoop(portable: false);
        using var a = Open(portable: false);
        using var l = Open(portable: false);
        using var b = Open(portable: false);
        var forwarder = new Forwarder(l, b.LocalAddress);
        Assert.True(loop.Register(l, forwarder));
        Assert.Equal(100, Pump(a, l.LocalAddress, b, 100));

        var toggle = new PauseResume(l, forwarder, times: 1_000);
        Assert.True(loop.Post(toggle)); // warm-up round: JIT and first use
        Assert.True(WaitUntil(() => toggle.Rounds == 1));

        // Up to three measured rounds of 1,000 pauses and resumes; one at 0 B proves a pause and resume allocate
        // nothing (an allocation per toggle shows in every round), while a rare one-off reading of a few KB on the
        // loop thread (2,904 B once in a full run; the runtime's, cause not yet explained) cannot fail the test.
        var readings = new List<long>();
        for (var round = 2; round <= 4 && (readings.Count == 0 || readings[^1] != 0); round++)
        {
            Assert.True(loop.Post(toggle));
            var expected = round;
            Assert.True(WaitUntil(() => toggle.Rounds == expected));
            readings.Add(toggle.LastRoundAllocated);
        }

        Assert.True(readings[^1] == 0, "allocated per round: " + string.Join(", ", readings));
        Assert.Equal(1, loop.RegisteredCount);
        Assert.Equal(100, Pump(a, l.LocalAddress, b, 100, firstSequence: 100)); // still receiving after the last resume
    }

    /// <summary>On the loop thread: unregisters and registers a socket again, many times, measuring what that allocates.</summary>
    private sealed class PauseResume(UdpSocket socket, IUdpReceiver receiver, int times) : IUdpLoopWork
    {
        private int _rounds;

        public int Rounds => Volatile.Read(ref _rounds);

        public long LastRoundAllocated { get; private set; }

        public void Execute(UdpEventLoop loop)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < times; i++)
            {
                loop.Unregister(socket);
                loop.Register(socket, receiver);
            }

            LastRoundAllocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Volatile.Write(ref _rounds, _rounds + 1);
        }
    }
}
