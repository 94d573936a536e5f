using System.IO.Pipelines;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel.Transport.Internal;

/// <summary>
/// A connection over a socket's stream (a NetworkStream, or an SslStream over one), as pipes. The reader issues a
/// zero-byte read first. Both pipes take their buffers from the connection's own <see cref="PipeBlockPool"/>, made
/// with the connection, so carrying traffic allocates nothing.
/// </summary>
internal sealed class StreamConnection : ITunnelConnection, IDuplexPipe
{
    /// <summary>A block holds a whole frame of the default largest body (64 KiB + its 8-byte header).</summary>
    internal const int BlockBytes = TunnelFrameReader.DefaultMaxBodyLength + TunnelFrameHeader.Length;

    /// <summary>
    /// The most blocks the pipes hold at once: the reader keeps at most one incomplete frame (two blocks) while it
    /// fills a third; the writer's pass (TunnelSession.WritePending: acknowledgements, about 64 KiB of reliable frames,
    /// one batch) spans at most three, all handed back when the flush is done.
    /// </summary>
    internal const int Blocks = 6;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private int _aborted;
    private int _disposed;

    public StreamConnection(Socket socket, Stream stream, string remote, TunnelPeerCertificate? peerCertificate)
    {
        _socket = socket;
        _stream = stream;
        RemoteDescription = remote;
        PeerCertificate = peerCertificate;
        Pool = new PipeBlockPool(BlockBytes, Blocks);
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(Pool, bufferSize: BlockBytes, minimumReadSize: 4096, leaveOpen: true, useZeroByteReads: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(Pool, minimumBufferSize: 16 * 1024, leaveOpen: true));
    }

    public IDuplexPipe Transport => this;

    /// <summary>The pipes' buffers (tests check that traffic never needs more).</summary>
    internal PipeBlockPool Pool { get; }

    /// <summary>The stream the pipes read and write (an SslStream with TLS; tests look at what it negotiated).</summary>
    internal Stream Stream => _stream;

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public string RemoteDescription { get; }

    public TunnelPeerCertificate? PeerCertificate { get; }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        Input.CancelPendingRead();
        Output.CancelPendingFlush();
        SocketShutdowns.TryShutdownBoth(_socket);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Abort();
        await Input.CompleteAsync().ConfigureAwait(false);
        try
        {
            await Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // flushing leftovers to a dead socket
        }
        catch (ObjectDisposedException)
        {
            // the stream is gone already
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }
}
