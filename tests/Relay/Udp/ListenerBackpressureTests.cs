using FastSpinnRelay.Relay.Udp;
using static FastSpinnRelay.Relay.Tests.Classic.LoopTestSupport;

namespace FastSpinnRelay.Relay.Tests.Udp;

public class ListenerBackpressureTests
{
    [Fact]
    public void A_refusal_stops_reading_the_listener_until_there_is_room_and_nothing_is_lost_meanwhile()
    {
        using var rig = new Rig();
        var (loop, listener, receiver, backpressure) = (rig.Loop, rig.Listener, rig.Receiver, rig.Backpressure);
        using var sender = UdpTestSupport.Open(portable: false);

        RunOnLoop(loop, backpressure.Refused);
        Assert.True(UdpTestSupport.WaitUntil(() => backpressure.IsPaused && loop.RegisteredCount == 0));
        Assert.Equal(1, backpressure.Pauses);

        Assert.Equal(UdpStatus.Ok, sender.SendTo([1, 2, 3], UdpAddress.FromIPEndPoint(listener.LocalEndPoint)));
        RunOnLoop(loop, () => { });
        RunOnLoop(loop, () => { });
        Assert.Equal(0, receiver.Datagrams); // waits in the socket's buffer, not read

        backpressure.Room(); // from another thread, as the connection's writer calls it
        Assert.True(UdpTestSupport.WaitUntil(() => receiver.Datagrams == 1));
        Assert.False(backpressure.IsPaused);
        Assert.Equal(1, loop.RegisteredCount);

        RunOnLoop(loop, backpressure.Refused); // and it can pause again
        Assert.True(UdpTestSupport.WaitUntil(() => backpressure.IsPaused));
        RunOnLoop(loop, backpressure.Room); // on the loop thread (a tick): at once
        Assert.False(backpressure.IsPaused);
        Assert.Equal(2, backpressure.Pauses);
        Assert.Equal(1, loop.RegisteredCount);
    }

    [Fact]
    public void Room_before_the_end_of_the_iteration_cancels_the_pause()
    {
        using var rig = new Rig();
        var (loop, backpressure) = (rig.Loop, rig.Backpressure);

        RunOnLoop(loop, () =>
        {
            backpressure.Refused();
            backpressure.Room(); // e.g. the end-of-iteration write took the frames
        });
        RunOnLoop(loop, () => { });

        Assert.False(backpressure.IsPaused);
        Assert.Equal(0, backpressure.Pauses);
        Assert.Equal(1, loop.RegisteredCount);
    }

    [Fact]
    public void Room_while_reading_does_nothing()
    {
        using var rig = new Rig();
        var (loop, backpressure) = (rig.Loop, rig.Backpressure);

        backpressure.Room();
        RunOnLoop(loop, backpressure.Room);

        Assert.False(backpressure.IsPaused);
        Assert.Equal(1, loop.RegisteredCount);
    }

    [Fact]
    public void After_Stop_a_paused_listener_is_never_registered_again_and_a_refusal_does_not_pause()
    {
        using var rig = new Rig();
        var (loop, backpressure) = (rig.Loop, rig.Backpressure);
        RunOnLoop(loop, backpressure.Refused);
        Assert.True(UdpTestSupport.WaitUntil(() => backpressure.IsPaused && loop.RegisteredCount == 0));

        backpressure.Stop(); // the owner is about to dispose the socket
        backpressure.Room();
        RunOnLoop(loop, backpressure.Room);
        RunOnLoop(loop, () => { });
        Assert.Equal(0, loop.RegisteredCount);

        Assert.True(loop.Register(rig.Listener, rig.Receiver));
        RunOnLoop(loop, backpressure.Refused);
        RunOnLoop(loop, () => { });
        Assert.Equal(1, loop.RegisteredCount);
        Assert.Equal(1, backpressure.Pauses);
    }

    /// <summary>A loop with a registered listener and the backpressure under test.</summary>
    private sealed class Rig : IDisposable
    {
        public Rig()
        {
            Assert.True(Loop.Register(Listener, Receiver));
            Backpressure = new ListenerBackpressure(Loop, Listener, Receiver);
        }

        public UdpEventLoop Loop { get; } = UdpTestSupport.NewLoop(portable: false);

        public UdpSocket Listener { get; } = UdpTestSupport.Open(portable: false);

        public CountingReceiver Receiver { get; } = new();

        public ListenerBackpressure Backpressure { get; }

        public void Dispose()
        {
            Loop.Dispose();
            Listener.Dispose();
        }
    }

    private sealed class CountingReceiver : IUdpReceiver
    {
        private int _datagrams;

        public int Datagrams => Volatile.Read(ref _datagrams);

        public void OnDatagrams(UdpSocket socket, DatagramBatch batch) => Interlocked.Add(ref _datagrams, batch.Count);
    }
}
