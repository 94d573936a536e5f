using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Tunnel.Legacy;
using static FastSpinnRelay.Tunnel.Tests.Legacy.StreamTestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Legacy;

public class LegacyStreamClientTests
{
    private static readonly LegacyStreamOptions Fast = new()
    {
        ReconnectDelayMin = TimeSpan.FromMilliseconds(10),
        ReconnectDelayMax = TimeSpan.FromMilliseconds(50),
    };

    [Fact]
    public async Task Reconnects_after_the_server_closes_and_sends_what_was_queued_meanwhile()
    {
        using var listener = Listen();
        var observer = new RecordingObserver();
        var outbox = new FrameOutbox();
        var handler = new RecordingHandler();
        var client = new LegacyStreamClient((IPEndPoint)listener.LocalEndPoint!, outbox, handler, Fast, observer);
        var run = client.RunAsync();

        Thread.Sleep(50);
        Assert.Empty(observer.Events); // nothing to send yet: no connection
        outbox.TryEnqueue([1]);
        outbox.Wake();
        using (var first = Accept(listener))
        {
            Assert.Equal(new byte[] { 0, 0, 0, 1, 1 }, ReadExactly(first, 5));
            first.Send([0, 0, 0, 2, 0xAB, 0xCD]);
            Assert.True(WaitUntil(() => handler.Frames.Count == 1));
        }

        Assert.True(WaitUntil(() => observer.Events.Contains("disconnected PeerClosed")));
        Thread.Sleep(100); // several back-off periods: a quiet client does not reconnect by itself
        Assert.Equal(2, observer.Events.Count);
        outbox.TryEnqueue([2]);
        outbox.Wake();
        using var second = Accept(listener);

        Assert.Equal(new byte[] { 0, 0, 0, 1, 2 }, ReadExactly(second, 5));
        Assert.Equal(["connected", "disconnected PeerClosed", "reconnected"], observer.Events.ToArray());
        Assert.Equal(2, client.Connections);
        Assert.Equal(1, client.FramesIn);

        client.Close();
        await run.WaitAsync(Deadline);
        Assert.True(SeesEnd(second));
    }

    [Fact]
    public async Task Keeps_trying_with_back_off_while_nobody_listens_and_stops_when_closed()
    {
        IPEndPoint closed;
        using (var probe = Listen())
        {
            closed = (IPEndPoint)probe.LocalEndPoint!;
        }

        var observer = new RecordingObserver();
        var outbox = new FrameOutbox();
        outbox.TryEnqueue([1]);
        var client = new LegacyStreamClient(closed, outbox, new RecordingHandler(), Fast, observer);
        var run = client.RunAsync();

        Assert.True(WaitUntil(() => observer.Events.Count(e => e == "failed ConnectionRefused") >= 3));
        client.Close();
        await run.WaitAsync(Deadline);
        Assert.False(client.IsConnected);
        Assert.Equal(0, client.Connections);
    }

    [Fact]
    public async Task Uses_a_connection_made_beforehand_first()
    {
        var (ours, peer) = Pair();
        using var _ = peer;
        var outbox = new FrameOutbox();
        var observer = new RecordingObserver();
        var client = new LegacyStreamClient(new IPEndPoint(IPAddress.Loopback, 9), outbox, new RecordingHandler(), Fast, observer, ours);
        var run = client.RunAsync();

        outbox.TryEnqueue([5]);
        outbox.Wake();

        Assert.Equal(new byte[] { 0, 0, 0, 1, 5 }, ReadExactly(peer, 5));
        Assert.True(client.IsConnected);
        client.Close();
        await run.WaitAsync(Deadline);
        Assert.Equal(["connected"], observer.Events.ToArray());
    }

    [Fact]
    public void Back_off_doubles_with_jitter_up_to_the_maximum_and_resets()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));
        var delays = Enumerable.Range(0, 10).Select(_ => backoff.Next().TotalMilliseconds).ToArray();

        Assert.InRange(delays[0], 80, 120);
        Assert.InRange(delays[1], 160, 240);
        Assert.InRange(delays[2], 320, 480);
        Assert.All(delays, d => Assert.InRange(d, 80, 5000));
        Assert.InRange(delays[9], 4000, 5000);
        backoff.Reset();
        Assert.InRange(backoff.Next().TotalMilliseconds, 80, 120);
    }

    /// <summary>Accepts within the deadline (a test must never block without bound).</summary>
    private static Socket Accept(Socket listener)
    {
        var accept = listener.AcceptAsync();
        Assert.True(accept.Wait(Deadline), "the client did not connect");
        accept.Result.ReceiveTimeout = (int)Deadline.TotalMilliseconds;
        return accept.Result;
    }

    private static Socket Listen()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        return listener;
    }

    private sealed class RecordingObserver : ILegacyStreamClientObserver
    {
        public ConcurrentQueue<string> Events { get; } = new();

        public void OnConnected(LegacyStreamClient client, bool isReconnect) => Events.Enqueue(isReconnect ? "reconnected" : "connected");

        public void OnDisconnected(LegacyStreamClient client, StreamClose close, TimeSpan retryIn) => Events.Enqueue($"disconnected {close.Reason}");

        public void OnConnectFailed(LegacyStreamClient client, SocketError error, TimeSpan retryIn) => Events.Enqueue($"failed {error}");
    }
}
