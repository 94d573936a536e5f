using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using FastSpinnRelay.Tunnel.Transport.Internal;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>
/// Accepts tunnel connections on a TCP port, optionally with TLS. TLS handshakes run concurrently (at most
/// <see cref="MaxPendingTlsHandshakes"/>, each bounded by <see cref="TlsHandshakeTimeout"/>), so a peer that connects
/// and stalls cannot hold up anyone else; <see cref="AcceptAsync"/> returns connections whose TLS is done. Bind port 0
/// to let the system choose (tests). <see cref="UpdateTls"/> replaces the certificate and the client certificates for
/// the TLS handshakes that start afterwards.
/// </summary>
public sealed class TcpTunnelListener : ITunnelListener
{
    private readonly Socket _socket;
    private volatile TunnelTlsServerOptions? _tls;
    private readonly Channel<(ITunnelConnection? Connection, Exception? Error)> _ready =
        Channel.CreateBounded<(ITunnelConnection?, Exception?)>(new BoundedChannelOptions(64) { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private SemaphoreSlim? _handshakes;
    private Task? _acceptLoop;

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

    /// <summary>TLS handshakes in progress at once; further connections wait in the kernel's backlog. Default 64.</summary>
    public int MaxPendingTlsHandshakes { get; init; } = 64;

    /// <summary>
    /// Which peer addresses may connect (an allow list); null admits everyone. A refused peer is closed right after
    /// the TCP accept, before TLS or the tunnel handshake, and reported as an <see cref="IOException"/> from
    /// <see cref="AcceptAsync"/> (the server logs it and goes on accepting).
    /// </summary>
    public Func<IPAddress, bool>? Admit { get; init; }

    /// <summary>The TLS settings new connections get (null: plain TCP).</summary>
    public TunnelTlsServerOptions? Tls => _tls;

    /// <summary>
    /// Serves TLS handshakes that start from now on with <paramref name="tls"/> (a renewed certificate, another list of
    /// client certificates); connections already made keep what they were made with.
    /// </summary>
    /// <exception cref="InvalidOperationException">The listener serves plain TCP: TLS cannot be turned on while it runs.</exception>
    public void UpdateTls(TunnelTlsServerOptions tls)
    {
        ArgumentNullException.ThrowIfNull(tls);
        if (_tls is null)
        {
            throw new InvalidOperationException("This listener serves plain TCP; TLS needs a new listener.");
        }

        _tls = tls;
    }

    /// <inheritdoc/>
    public string LocalDescription => (_tls is null ? "tcp://" : "tls://") + LocalEndPoint;

    /// <inheritdoc/>
    public async ValueTask<ITunnelConnection> AcceptAsync(CancellationToken cancellationToken)
    {
        if (_tls is null)
        {
            Socket socket = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            if (Refuse(socket) is { } refused)
            {
                throw refused;
            }

            socket.NoDelay = true;
            return new StreamConnection(socket, new NetworkStream(socket, ownsSocket: false), Describe(socket), peerCertificate: null);
        }

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _handshakes ??= new SemaphoreSlim(MaxPendingTlsHandshakes, MaxPendingTlsHandshakes);
            _acceptLoop ??= AcceptTlsLoopAsync();
        }

        (ITunnelConnection? connection, Exception? error) item;
        try
        {
            item = await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(TcpTunnelListener));
        }

        return item.connection ?? throw new IOException(item.error!.Message, item.error);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            _stop.Cancel();
        }

        _socket.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        _ready.Writer.TryComplete();
        while (_ready.Reader.TryRead(out (ITunnelConnection? Connection, Exception? Error) left))
        {
            if (left.Connection is not null)
            {
                await left.Connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task AcceptTlsLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                await _handshakes!.WaitAsync(_stop.Token).ConfigureAwait(false);
                socket = await _socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                _handshakes!.Release();
                continue; // one failed accept (e.g. a reset in the backlog) concerns one peer
            }

            if (Refuse(socket) is { } refused)
            {
                _handshakes!.Release();
                _ready.Writer.TryWrite((null, refused));
                continue;
            }

            _ = HandshakeAsync(socket); // observed: it catches everything and reports through the channel
        }
    }

    private async Task HandshakeAsync(Socket socket)
    {
        string remote = Describe(socket);
        socket.NoDelay = true;
        TunnelTlsServerOptions tls = _tls!; // one set for the whole handshake, whatever a reload does meanwhile
        var ssl = new SslStream(new ReadAheadStream(new NetworkStream(socket, ownsSocket: false)), leaveInnerStreamOpen: false);
        (ITunnelConnection?, Exception?) result;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TlsHandshakeTimeout);
            await ssl.AuthenticateAsServerAsync(ServerOptions(tls), timeout.Token).ConfigureAwait(false);
            TunnelPeerCertificate? client = ssl.RemoteCertificate is { } certificate ? Identify(tls, certificate) : null;
            result = (new StreamConnection(socket, ssl, remote, client), null);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            socket.Dispose();
            result = (null, new IOException($"TLS handshake with {remote} failed: {ex.Message}", ex));
        }
        finally
        {
            _handshakes!.Release();
        }

        if (!_ready.Writer.TryWrite(result) && result.Item1 is { } unwanted)
        {
            await unwanted.DisposeAsync().ConfigureAwait(false); // queue full or listener closed: drop this peer
        }
    }

    /// <summary>Closes <paramref name="socket"/> and returns why when <see cref="Admit"/> refuses its peer.</summary>
    private IOException? Refuse(Socket socket)
    {
        if (Admit is null || (socket.RemoteEndPoint is IPEndPoint peer && Admit(peer.Address.IsIPv4MappedToIPv6 ? peer.Address.MapToIPv4() : peer.Address)))
        {
            return null;
        }

        string remote = Describe(socket);
        socket.Dispose();
        return new IOException($"refused a connection from {remote}: not in the allowed networks");
    }

    /// <summary>A client certificate as the allowed list sees it: on it or not, and its name there.</summary>
    private static TunnelPeerCertificate Identify(TunnelTlsServerOptions tls, X509Certificate certificate)
    {
        string fingerprint = TunnelCertificates.Fingerprint(certificate);
        bool allowed = tls.AllowedClientCertificates.Any(entry => TunnelCertificates.SameFingerprint(entry, fingerprint));
        return new TunnelPeerCertificate(fingerprint, allowed, allowed ? tls.ClientCertificateNames.GetValueOrDefault(fingerprint) : null);
    }

    private static string Describe(Socket socket) => socket.RemoteEndPoint?.ToString() ?? "?";

    private static SslServerAuthenticationOptions ServerOptions(TunnelTlsServerOptions tls) => new()
    {
        ServerCertificate = tls.Certificate,
        ClientCertificateRequired = tls.AllowedClientCertificates.Count > 0,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        // A client certificate is checked against the allow-list (by fingerprint), not a chain; none is fine (key auth).
        RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };
}
