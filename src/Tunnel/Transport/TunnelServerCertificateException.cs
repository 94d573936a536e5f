using System.Security.Authentication;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>
/// The client refused the server's TLS certificate: it is not the pinned one, does not chain to a trusted root, or
/// does not name the host asked for. Unlike other TLS failures, retrying cannot fix it
/// (<see cref="TunnelCloseReason.ServerCertificateRejected"/>). The message names the server, the certificate and why.
/// </summary>
public sealed class TunnelServerCertificateException : AuthenticationException
{
    public TunnelServerCertificateException()
    {
    }

    public TunnelServerCertificateException(string message)
        : base(message)
    {
    }

    public TunnelServerCertificateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
