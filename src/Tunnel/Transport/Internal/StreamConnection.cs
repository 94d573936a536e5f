using System.IO.Pipelines;
using System.Net.Sockets;

namespace FastSpinnRelay.Tunnel.Transport.Internal;

/// <summary>
/// A connection over a socket's stream (a NetworkStream, or an SslStream over one), as pipes. The reader issues a
/// zero-byte read first, so an idle connection holds no receive buffer.
/// </summary>
internal sealed class StreamConnection : ITunnelConnection, IDuplexPipe
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private int _aborted;
    private int _disposed;

    public StreamConnection(Socket socket, Stream stream, string remote, bool peerCertificateVerified)
    {
        _socket = socket;
        _stream = stream;
        RemoteDescription = remote;
        PeerCertificateVerified = peerCertificateVerified;
        Input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true, useZeroByteReads: true));
        Output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));
    }

    public IDuplexPipe Transport => this;

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public string RemoteDescription { get; }

    public bool PeerCertificateVerified { get; }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        Input.CancelPendingRead();
        Output.CancelPendingFlush();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // already gone: nothing to shut down
        }
        catch (ObjectDisposedException)
        {
            // already disposed
        }
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
