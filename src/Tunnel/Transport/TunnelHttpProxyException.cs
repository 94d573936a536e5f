namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>
/// The HTTP proxy a <see cref="TcpTunnelConnector"/> goes through did not open the tunnel to the server: it answered
/// CONNECT with a status other than 2xx, with something that is not an HTTP answer, not at all within the connect
/// timeout, or it closed the connection. The message names the proxy (host:port, never the password), the server and
/// what the proxy said. A 407 (<see cref="WantsCredentials"/>) is a refusal retrying cannot fix
/// (<see cref="TunnelCloseReason.ProxyAuthenticationFailed"/>); the rest may pass (<see cref="TunnelCloseReason.ProxyRefused"/>).
/// </summary>
public sealed class TunnelHttpProxyException : IOException
{
    public TunnelHttpProxyException()
    {
    }

    public TunnelHttpProxyException(string message)
        : base(message)
    {
    }

    public TunnelHttpProxyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An answer with <paramref name="statusCode"/> (0: no HTTP answer at all).</summary>
    public TunnelHttpProxyException(string message, int statusCode)
        : base(message)
    {
        StatusCode = statusCode;
    }

    /// <summary>The status the proxy answered CONNECT with, or 0 when it gave no HTTP answer.</summary>
    public int StatusCode { get; }

    /// <summary>True for 407 Proxy Authentication Required: no credentials were sent and the proxy wants some, or it refused those sent.</summary>
    public bool WantsCredentials => StatusCode == 407;
}
