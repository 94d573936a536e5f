using System.IO.Pipelines;
using System.Threading.Channels;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>
/// A transport inside one process: every <see cref="ConnectAsync"/> creates a pair of <see cref="Pipe"/>s and hands the
/// server end to <see cref="AcceptAsync"/>. For tests, benchmarks and the in-process demo; no sockets involved.
/// </summary>
public sealed class InMemoryTunnelTransport : ITunnelConnector, ITunnelListener
{
    private readonly Channel<ITunnelConnection> _pending = Channel.CreateUnbounded<ITunnelConnection>();
    private readonly PipeOptions _pipeOptions;
    private int _connections;

    /// <summary>Creates a transport whose pipes pause a writer at <paramref name="pauseWriterThreshold"/> unread bytes (default 64 KiB).</summary>
    public InMemoryTunnelTransport(long pauseWriterThreshold = 64 * 1024)
    {
        _pipeOptions = new PipeOptions(
            pauseWriterThreshold: pauseWriterThreshold, resumeWriterThreshold: pauseWriterThreshold / 2, useSynchronizationContext: false);
    }

    /// <inheritdoc/>
    public string LocalDescription => "memory";

    /// <summary>The client end of the newest connection (tests cut it with <see cref="ITunnelConnection.Abort"/>).</summary>
    public ITunnelConnection? LastClientEnd { get; private set; }

    /// <summary>The server end of the newest connection.</summary>
    public ITunnelConnection? LastServerEnd { get; private set; }

    /// <summary>Connections made so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <inheritdoc/>
    public ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var toServer = new Pipe(_pipeOptions);
        var toClient = new Pipe(_pipeOptions);
        int number = Interlocked.Increment(ref _connections);
        var client = new PipeTunnelConnection(toClient.Reader, toServer.Writer, $"memory-server#{number}");
        var server = new PipeTunnelConnection(toServer.Reader, toClient.Writer, $"memory-client#{number}");
        LastClientEnd = client;
        LastServerEnd = server;
        if (!_pending.Writer.TryWrite(server))
        {
            throw new ObjectDisposedException(nameof(InMemoryTunnelTransport));
        }

        return ValueTask.FromResult<ITunnelConnection>(client);
    }

    /// <inheritdoc/>
    public async ValueTask<ITunnelConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _pending.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(InMemoryTunnelTransport));
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        return default;
    }
}
