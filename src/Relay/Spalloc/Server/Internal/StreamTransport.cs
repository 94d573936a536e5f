using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Tunnel.Transport;
using Microsoft.AspNetCore.Connections;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// Kestrel's TCP transport for the Spalloc server (registered in its services, so Kestrel binds through it): listens
/// on an <see cref="IPEndPoint"/> and hands each accepted socket to Kestrel as a
/// <see cref="StreamTransportConnection"/>. All connections share one <see cref="PipeBlockPool"/> of 64 KiB blocks,
/// so a gathered batch of proxy frames (up to <see cref="Spalloc.Internal.GatheringStream.DefaultCapacity"/>) leaves
/// in one or two sends and busy connections allocate nothing once the pool has grown to what they hold at once.
/// </summary>
internal sealed class StreamTransport : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <summary>Bytes per pool block: a whole gathered write of proxy frames plus a little.</summary>
    public const int BlockBytes = 64 * 1024;

    /// <summary>Blocks made at start: one websocket's read and write, and as much again for a second connection.</summary>
    public const int InitialBlocks = 4;

    /// <summary>Pending connections the kernel queues before Kestrel accepts them.</summary>
    public const int Backlog = 512;

    /// <summary>The blocks of every connection's pipes.</summary>
    public PipeBlockPool Pool { get; } = new(BlockBytes, InitialBlocks, pinned: true);

    /// <summary>Connections accepted so far (tests: Kestrel used this transport).</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    private long _accepted;

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"the Spalloc server listens on IP addresses only, not {endpoint}");
        }

        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (ip.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(ip);
            socket.Listen(Backlog);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            if (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                throw new AddressInUseException(ex.Message, ex);
            }

            throw;
        }

        return new ValueTask<IConnectionListener>(new Listener(this, socket));
    }

    private sealed class Listener(StreamTransport transport, Socket socket) : IConnectionListener
    {
        private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(50);
        private readonly LogLimiter _acceptLog = new(5, TimeSpan.FromSeconds(10));

        public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

        /// <summary>The next connection, or null once the listener is unbound (Kestrel's signal to stop accepting).</summary>
        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                Socket accepted;
                try
                {
                    accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException)
                {
                    return null; // unbound, or Kestrel stopped asking
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted or SocketError.InvalidArgument)
                {
                    return null; // unbound under the accept
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
                {
                    continue; // a client that gave up before it was accepted
                }
                catch (SocketException ex)
                {
                    // A shortage (file descriptors, memory): this connection is lost; wait a little so the listener
                    // does not spin on it, then go on.
                    _acceptLog.Write(LogLevel.Warning, ProxyHub.Component, $"cannot accept a connection on {EndPoint}: {ex.SocketErrorCode}: {ex.Message}");

                    try
                    {
                        await Task.Delay(AcceptRetryDelay, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return null;
                    }

                    continue;
                }

                try
                {
                    accepted.NoDelay = true;
                    var connection = new StreamTransportConnection(accepted, transport.Pool);
                    Interlocked.Increment(ref transport._accepted);
                    return connection;
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    // Reset between the accept and the first look at it. An exception here would end Kestrel's
                    // accept loop for good, so this connection is dropped and the listener goes on.
                    accepted.Dispose();
                }
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            socket.Dispose();
            return default;
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            return default;
        }
    }
}
