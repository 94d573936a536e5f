using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Tunnel.Transport.Internal;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>
/// Opens tunnel connections to a server's TCP port, optionally through an HTTP proxy (<see cref="HttpProxy"/>), and
/// optionally with TLS (pinned or chain-validated) to the server itself, inside the proxy's tunnel.
/// </summary>
public sealed partial class TcpTunnelConnector : ITunnelConnector
{
    private readonly string _host;
    private readonly int _port;
    private readonly TunnelTlsClientOptions? _tls;
    private readonly TunnelHttpProxy? _httpProxy;

    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/>; with <paramref name="tls"/>, over TLS.</summary>
    public TcpTunnelConnector(string host, int port, TunnelTlsClientOptions? tls = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        _host = host;
        _port = port;
        _tls = tls;
    }

    /// <summary>Longest TCP connect, plus the proxy's answer to CONNECT (through <see cref="HttpProxy"/>), plus TLS handshake. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// An HTTP proxy to reach the server through (HTTP CONNECT), or null (default): straight to the server. The server's
    /// host name goes to the proxy as it was given, so the proxy resolves it.
    /// </summary>
    /// <exception cref="ArgumentException">The server's host is not a host name or address in ASCII (it goes into the CONNECT line).</exception>
    public TunnelHttpProxy? HttpProxy
    {
        get => _httpProxy;
        init
        {
            if (value is not null && (!TunnelCertificates.IsHostName(_host) || !System.Text.Ascii.IsValid(_host)))
            {
                throw new ArgumentException($"'{TunnelLog.Escape(_host)}' is not a host name or an address (in ASCII) to ask an HTTP proxy for.", nameof(HttpProxy));
            }

            _httpProxy = value;
        }
    }

    /// <inheritdoc/>
    public async ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            var network = _httpProxy is { } proxy
                ? await ConnectThroughAsync(proxy, socket, timeout, cancellationToken).ConfigureAwait(false)
                : await ConnectDirectAsync(socket, timeout.Token).ConfigureAwait(false);
            string remote = _httpProxy is null
                ? socket.RemoteEndPoint?.ToString() ?? Server
                : $"{Server} through the HTTP proxy {_httpProxy}";
            if (_tls is null)
            {
                return new StreamConnection(socket, network, remote, peerCertificate: null);
            }

            var ssl = new SslStream(new ReadAheadStream(network), leaveInnerStreamOpen: false);
            var check = new ServerCertificateCheck(_tls, Server);
            try
            {
                await ssl.AuthenticateAsClientAsync(ClientOptions(check), timeout.Token).ConfigureAwait(false);
            }
            catch (AuthenticationException e) when (check.Refusal is { } refusal)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                throw new TunnelServerCertificateException(refusal, e);
            }
            catch
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            return new StreamConnection(socket, ssl, remote, peerCertificate: null);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The server as "host:port", for messages.</summary>
    private string Server => TunnelHttpProxy.Authority(_host, _port);

    private async ValueTask<NetworkStream> ConnectDirectAsync(Socket socket, CancellationToken cancellationToken)
    {
        await socket.ConnectAsync(_host, _port, cancellationToken).ConfigureAwait(false);
        return new NetworkStream(socket, ownsSocket: false);
    }

    private SslClientAuthenticationOptions ClientOptions(ServerCertificateCheck check)
    {
        TunnelTlsClientOptions tls = _tls!;
        return new SslClientAuthenticationOptions
        {
            TargetHost = tls.TargetHost,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ClientCertificates = tls.ClientCertificate is null ? null : [tls.ClientCertificate],
            RemoteCertificateValidationCallback = check.Validate,
        };
    }
}
