using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Tunnel.Transport.Internal;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>
/// Accepts tunnel connections on a TCP port, optionally with TLS (then <see cref="AcceptAsync"/> returns after the TLS
/// handshake, bounded by <see cref="TlsHandshakeTimeout"/>). Bind port 0 to let the system choose (tests).
/// </summary>
public sealed class TcpTunnelListener : ITunnelListener
{
    private readonly Socket _socket;
    private readonly TunnelTlsServerOptions? _tls;

    /// <summary>Listens on <paramref name="endPoint"/> with a backlog of 64.</summary>
    public TcpTunnelListener(IPEndPoint endPoint, TunnelTlsServerOptions? tls = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        _tls = tls;
        _socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                _socket.DualMode = true;
            }

            _socket.Bind(endPoint);
            _socket.Listen(64);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>The bound address and port.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Longest TLS handshake accepted. Default 10 s.</summary>
    public TimeSpan TlsHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <inheritdoc/>
    public string LocalDescription => (_tls is null ? "tcp://" : "tls://") + LocalEndPoint;

    /// <inheritdoc/>
    public async ValueTask<ITunnelConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        Socket socket = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
        socket.NoDelay = true;
        string remote = socket.RemoteEndPoint?.ToString() ?? "?";
        var network = new NetworkStream(socket, ownsSocket: false);
        if (_tls is null)
        {
            return new StreamConnection(socket, network, remote, peerCertificateVerified: false);
        }

        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TlsHandshakeTimeout);
            await ssl.AuthenticateAsServerAsync(ServerOptions(), timeout.Token).ConfigureAwait(false);
            bool verified = ssl.RemoteCertificate is { } client
                && _tls.AllowedClientCertificates.Any(allowed => TunnelCertificates.SameFingerprint(allowed, client));
            return new StreamConnection(socket, ssl, remote, verified);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            throw new IOException($"TLS handshake with {remote} failed: {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return default;
    }

    private SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificate = _tls!.Certificate,
        ClientCertificateRequired = _tls.AllowedClientCertificates.Count > 0,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        // A client certificate is checked against the allow-list (by fingerprint), not a chain; none is fine (key auth).
        RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };
}
