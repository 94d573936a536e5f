using System.IO.Pipelines;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>
/// One ordered, reliable byte stream between the two ends (TCP, TLS over TCP, an in-memory pipe pair, or, where
/// libmsquic exists, a QUIC stream): the only thing the tunnel needs from a transport.
/// </summary>
public interface ITunnelConnection : IAsyncDisposable
{
    /// <summary>The stream, as pipes. The tunnel uses one reader loop and one writer loop on it.</summary>
    IDuplexPipe Transport { get; }

    /// <summary>The peer for log lines (e.g. "203.0.113.5:50212").</summary>
    string RemoteDescription { get; }

    /// <summary>
    /// The TLS client certificate the peer presented, and whether the server's allowed list holds it; null when it
    /// presented none, or the transport is not TLS (and on the client side).
    /// </summary>
    TunnelPeerCertificate? PeerCertificate { get; }

    /// <summary>
    /// Cuts the connection now, as a network failure would: pending reads and flushes end, the peer sees the stream
    /// close. Safe from any thread and more than once; <see cref="IAsyncDisposable.DisposeAsync"/> is still needed.
    /// </summary>
    void Abort();
}

/// <summary>The client side of a transport: opens connections to the server.</summary>
public interface ITunnelConnector
{
    /// <summary>Opens one connection (TCP connect, TLS handshake); throws when that fails.</summary>
    ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken);
}

/// <summary>The server side of a transport: accepts connections.</summary>
public interface ITunnelListener : IAsyncDisposable
{
    /// <summary>Where it listens, for log lines and for tests that bind port 0.</summary>
    string LocalDescription { get; }

    /// <summary>
    /// Accepts the next connection (for TLS, after the TLS handshake). Throws <see cref="OperationCanceledException"/>
    /// when cancelled and <see cref="ObjectDisposedException"/> after disposal; other exceptions concern one peer only.
    /// </summary>
    ValueTask<ITunnelConnection> AcceptAsync(CancellationToken cancellationToken);
}
