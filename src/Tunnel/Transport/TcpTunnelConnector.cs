using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Tunnel.Transport.Internal;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>Opens tunnel connections to a server's TCP port, optionally with TLS (pinned or chain-validated).</summary>
public sealed class TcpTunnelConnector : ITunnelConnector
{
    private readonly string _host;
    private readonly int _port;
    private readonly TunnelTlsClientOptions? _tls;

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

    /// <summary>Longest TCP connect plus TLS handshake. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <inheritdoc/>
    public async ValueTask<ITunnelConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_host, _port, timeout.Token).ConfigureAwait(false);
            string remote = socket.RemoteEndPoint?.ToString() ?? $"{_host}:{_port}";
            var network = new NetworkStream(socket, ownsSocket: false);
            if (_tls is null)
            {
                return new StreamConnection(socket, network, remote, peerCertificate: null);
            }

            var ssl = new SslStream(new ReadAheadStream(network), leaveInnerStreamOpen: false);
            var check = new ServerCertificateCheck(_tls, $"{_host}:{_port}");
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
