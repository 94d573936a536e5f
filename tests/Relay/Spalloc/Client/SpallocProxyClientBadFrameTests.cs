using System.Text;
using FastSpinnRelay.Protocol.Spalloc;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Relay.Spalloc.Client;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc.Client;

/// <summary>
/// What the proxy websocket's client makes of frames from a broken or hostile server: malformed ones (cut, random,
/// mutated, of unknown ops) are ignored and counted, the well-formed ones among them still delivered, and the
/// websocket stays up; only a message longer than any frame ends it, with a reason.
/// </summary>
public sealed class SpallocProxyClientBadFrameTests : IAsyncLifetime
{
    private static readonly byte[] Marker = Encoding.ASCII.GetBytes("the end");

    private ScriptedService _service = null!;

    public async Task InitializeAsync() => _service = await ScriptedService.StartAsync();

    public async Task DisposeAsync() => await _service.DisposeAsync();

    [Fact]
    public async Task Malformed_frames_are_counted_and_ignored_and_the_rest_delivered()
    {
        byte[] message = Frame((d, out n) => SpallocFrameWriter.TryWriteMessage(d, 42, [0xDE, 0xAD], out n));
        byte[][] samples =
        [
            message,
            Frame((d, out n) => SpallocFrameWriter.TryWriteOpenReply(d, 7, 42, out n)),
            Frame((d, out n) => SpallocFrameWriter.TryWriteOpenUnboundReply(d, 8, 43, [127, 0, 0, 1], 12345, out n)),
            Frame((d, out n) => SpallocFrameWriter.TryWriteError(d, 7, "bad port number"u8, out n)),
        ];
        var frames = new List<byte[]>();
        for (int length = 0; length < samples[2].Length; length++)
        {
            frames.Add(samples[2][..length]); // every cut of the longest fixed frame
        }

        FuzzInputs.Run(seed: 73, samples, maxRandomLength: 64, count: 2_000, input => frames.Add(input.ToArray()));
        int malformed = frames.Count(f => SpallocServerFrame.TryRead(f, out _) != SpallocFrameError.None);
        int messages = frames.Count(f => SpallocServerFrame.TryRead(f, out var frame) == SpallocFrameError.None && frame.Op == SpallocOp.Message);
        frames.Add(Frame((d, out n) => SpallocFrameWriter.TryWriteMessage(d, 1, Marker, out n)));
        _service.WebSocket("proxy/1", frames);

        var handler = new Recorder();
        await using var proxy = await ConnectAsync(handler);

        Assert.True(Loopback.WaitUntil(() => handler.SawMarker), "the last frame never arrived");
        Assert.Equal(malformed, proxy.MalformedFrames);
        Assert.Equal(messages + 1, handler.Count);
        Assert.False(proxy.Closed.IsCompleted, "the websocket ended");
        Assert.InRange(malformed, 500, frames.Count);
    }

    [Fact]
    public async Task A_message_longer_than_any_frame_ends_the_websocket_with_the_reason()
    {
        _service.WebSocket("proxy/1", [new byte[200_000]]);
        await using var proxy = await ConnectAsync(new Recorder());

        string reason = await proxy.Closed.WaitAsync(Loopback.Limit);
        Assert.Contains("a message longer than", reason, StringComparison.Ordinal);
    }

    private async Task<SpallocProxyClient> ConnectAsync(Recorder handler)
    {
        var session = new SpallocClient(_service.BaseUri, new SpallocCredentials(null, null, "token"), new SpallocClientOptions { RequestTimeout = Loopback.Limit });
        var ws = new UriBuilder(new Uri(_service.BaseUri, "proxy/1")) { Scheme = "ws" }.Uri;
        return await SpallocProxyClient.ConnectAsync(ws, session, handler, new SpallocProxyOptions { CallTimeout = Loopback.Limit });
    }

    private delegate bool WriteFrame(Span<byte> destination, out int written);

    private static byte[] Frame(WriteFrame write)
    {
        var buffer = new byte[256];
        Assert.True(write(buffer, out int written));
        return buffer[..written];
    }

    private sealed class Recorder : ISpallocProxyHandler
    {
        private int _count;
        private volatile bool _sawMarker;

        public int Count => Volatile.Read(ref _count);

        public bool SawMarker => _sawMarker;

        public void OnMessage(uint channel, ReadOnlySpan<byte> payload)
        {
            Interlocked.Increment(ref _count);
            if (channel == 1 && payload.SequenceEqual(Marker))
            {
                _sawMarker = true;
            }
        }
    }
}
