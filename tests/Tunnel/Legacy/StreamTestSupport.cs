using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Tunnel.Legacy;

namespace FastSpinnRelay.Tunnel.Tests.Legacy;

/// <summary>Loopback TCP pairs, a recording frame handler and bounded waits for the stream tests.</summary>
internal static class StreamTestSupport
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    /// <summary>A connected pair on 127.0.0.1: ours (for the connection under test) and the peer's (driven by the test).</summary>
    public static (Socket Ours, Socket Peer) Pair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        peer.Connect(listener.LocalEndPoint!);
        var ours = listener.Accept();
        peer.ReceiveTimeout = (int)Deadline.TotalMilliseconds;
        return (ours, peer);
    }

    /// <summary>As <see cref="Pair"/>, with 4 KiB socket buffers, so a few kilobytes fill them while the peer does not read.</summary>
    public static (Socket Ours, Socket Peer) NarrowPair()
    {
        var (ours, peer) = Pair();
        peer.ReceiveBufferSize = 4096;
        ours.SendBufferSize = 4096;
        return (ours, peer);
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (or fewer if the stream ends or the deadline passes).</summary>
    public static byte[] ReadExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        try
        {
            while (read < count)
            {
                var n = socket.Receive(buffer, read, count - read, SocketFlags.None);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }
        }
        catch (SocketException)
        {
            // Reset or timed out: return what arrived.
        }

        return buffer[..read];
    }

    /// <summary>True when the peer sees the stream end (orderly or reset) before the deadline.</summary>
    public static bool SeesEnd(Socket socket)
    {
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                if (socket.Receive(buffer) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode != SocketError.TimedOut;
        }
    }

    public static bool WaitUntil(Func<bool> condition)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Deadline.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return condition();
            }

            Thread.Sleep(2);
        }

        return true;
    }

    /// <summary>Records every frame with its arrival time; can be told to throw.</summary>
    public sealed class RecordingHandler : ILegacyFrameHandler
    {
        private int _unflushed;
        private int _flushesWithFrames;

        /// <summary>Each frame with when it was handed on (<see cref="Stopwatch"/> ticks).</summary>
        public ConcurrentQueue<(byte[] Frame, long Timestamp)> Frames { get; } = new();

        /// <summary>
        /// For each frame, in order, when the <see cref="OnFramesEnd"/> that sent it returned (<see cref="Stopwatch"/>
        /// ticks): what a handler that sends at <see cref="OnFramesEnd"/> sees as the frame leaving.
        /// </summary>
        public ConcurrentQueue<long> Sent { get; } = new();

        public bool Throw { get; set; }

        /// <summary>How long a flush that has frames takes (a slow send); default none.</summary>
        public TimeSpan SendTime { get; init; }

        public IReadOnlyList<byte[]> Payloads => [.. Frames.Select(f => f.Frame)];

        public void OnFrame(ReadOnlySpan<byte> datagram)
        {
            if (Throw)
            {
                throw new InvalidOperationException("handler bug");
            }

            Frames.Enqueue((datagram.ToArray(), Stopwatch.GetTimestamp()));
            Interlocked.Increment(ref _unflushed);
        }

        /// <summary>Times <see cref="OnFramesEnd"/> was called with frames handed on since the previous call.</summary>
        public int FlushesWithFrames => Volatile.Read(ref _flushesWithFrames);

        /// <summary>Frames handed on and not yet followed by <see cref="OnFramesEnd"/>.</summary>
        public int Unflushed => Volatile.Read(ref _unflushed);

        public void OnFramesEnd()
        {
            var flushed = Interlocked.Exchange(ref _unflushed, 0);
            if (flushed != 0)
            {
                Interlocked.Increment(ref _flushesWithFrames);
                if (SendTime > TimeSpan.Zero)
                {
                    Thread.Sleep(SendTime);
                }
            }

            var now = Stopwatch.GetTimestamp(); // the last thing this "send" does
            for (var i = 0; i < flushed; i++)
            {
                Sent.Enqueue(now);
            }
        }
    }
}
