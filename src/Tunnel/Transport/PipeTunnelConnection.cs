using System.IO.Pipelines;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>
/// A connection end over two pipes (read one, write the other), as <see cref="InMemoryTunnelTransport"/> makes them;
/// tests build fault-injecting links out of it. <see cref="Abort"/> cancels what is pending; disposal completes both
/// pipes, which the other end sees as the stream closing.
/// </summary>
public sealed class PipeTunnelConnection(PipeReader input, PipeWriter output, string remote) : ITunnelConnection, IDuplexPipe
{
    private int _aborted;
    private int _disposed;

    /// <inheritdoc/>
    public IDuplexPipe Transport => this;

    /// <inheritdoc/>
    public PipeReader Input => input;

    /// <inheritdoc/>
    public PipeWriter Output => output;

    /// <inheritdoc/>
    public string RemoteDescription => remote;

    /// <inheritdoc/>
    public TunnelPeerCertificate? PeerCertificate => null;

    /// <inheritdoc/>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 0)
        {
            input.CancelPendingRead();
            output.CancelPendingFlush();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }
}
