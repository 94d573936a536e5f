using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Tunnel.Transport.Internal;

namespace FastSpinnRelay.Tunnel.Tests.Pipes;

/// <summary>A TCP connection's pipes draw only on the blocks the connection made at its start, however much it carries.</summary>
public class StreamConnectionTests
{
    /// <summary>What one pass of the send loop can write before it flushes: an ACK, a largest reliable frame, a largest batch.</summary>
    private static readonly int[] Pass = [16, StreamConnection.BlockBytes, 16 * 1024 + 8];

    [Fact]
    public async Task Largest_frames_both_ways_never_need_more_blocks_than_made_up_front()
    {
        (Socket left, Socket right) = await ConnectedPair();
        await using var a = new StreamConnection(left, new NetworkStream(left, ownsSocket: false), "a", peerCertificate: null);
        await using var b = new StreamConnection(right, new NetworkStream(right, ownsSocket: false), "b", peerCertificate: null);
        const int passes = 200;
        long total = passes * (long)Pass.Sum();

        Task<long> readByB = ReadFramesAsync(b.Transport.Input, total);
        Task<long> readByA = ReadFramesAsync(a.Transport.Input, total);
        await Task.WhenAll(WritePassesAsync(a.Transport.Output, passes), WritePassesAsync(b.Transport.Output, passes));
        Assert.Equal(total, await readByB.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(total, await readByA.WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Equal(StreamConnection.Blocks, a.Pool.BlocksCreated);
        Assert.Equal(StreamConnection.Blocks, b.Pool.BlocksCreated);
    }

    private static async Task WritePassesAsync(PipeWriter output, int passes)
    {
        for (int i = 0; i < passes; i++)
        {
            foreach (int length in Pass)
            {
                output.GetSpan(length)[..length].Fill((byte)i);
                output.Advance(length);
            }

            await output.FlushAsync();
        }
    }

    /// <summary>Takes whole "frames" only (the largest size), leaving a partial one in the pipe as the tunnel's reader does.</summary>
    private static async Task<long> ReadFramesAsync(PipeReader input, long expected)
    {
        long taken = 0;
        while (taken < expected)
        {
            ReadResult result = await input.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            long whole = expected - taken <= buffer.Length ? buffer.Length : buffer.Length / StreamConnection.BlockBytes * StreamConnection.BlockBytes;
            taken += whole;
            input.AdvanceTo(buffer.GetPosition(whole), buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        return taken;
    }

    private static async Task<(Socket, Socket)> ConnectedPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Task connect = client.ConnectAsync(listener.LocalEndPoint!);
        Socket server = await listener.AcceptAsync();
        await connect;
        return (client, server);
    }
}
