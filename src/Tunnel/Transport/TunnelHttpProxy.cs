using System.Globalization;
using System.Text;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>
/// An HTTP proxy that a <see cref="TcpTunnelConnector"/> reaches the tunnel server through, for networks that let only
/// HTTP(S) out: the connector asks it with <c>CONNECT host:port</c> to open a TCP tunnel to the server, and the tunnel
/// (with its own TLS, if configured) runs inside. The connection to the proxy itself is plain TCP (an http:// proxy).
/// </summary>
/// <remarks>
/// <see cref="ToString"/> gives host:port only, never the password, so an instance may go into log lines and errors.
/// </remarks>
public sealed class TunnelHttpProxy
{
    /// <summary>A proxy at <paramref name="host"/>:<paramref name="port"/>, with Basic credentials when <paramref name="userName"/> is given.</summary>
    /// <exception cref="ArgumentException">
    /// The host is not a host name or address in ASCII, the port is not 1..65535, or the user name holds a colon or a
    /// control character (Basic credentials cannot carry them).
    /// </exception>
    public TunnelHttpProxy(string host, int port, string? userName = null, string? password = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        if (!TunnelCertificates.IsHostName(host) || !Ascii.IsValid(host))
        {
            throw new ArgumentException($"'{TunnelLog.Escape(host)}' is not a host name or an address (in ASCII) for an HTTP proxy.", nameof(host));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        if (userName is not null && (userName.Contains(':', StringComparison.Ordinal) || userName.AsSpan().ContainsAnyInRange('\u0000', '\u001f') || userName.Contains('\u007f', StringComparison.Ordinal)))
        {
            throw new ArgumentException("An HTTP proxy user name holds no colon and no control character.", nameof(userName));
        }

        if (password is not null && userName is null)
        {
            throw new ArgumentException("An HTTP proxy password needs a user name.", nameof(password));
        }

        Host = host;
        Port = port;
        UserName = userName;
        Password = password;
    }

    /// <summary>The proxy's host name or address (an IPv6 address without brackets).</summary>
    public string Host { get; }

    /// <summary>The proxy's TCP port.</summary>
    public int Port { get; }

    /// <summary>The user for <c>Proxy-Authorization: Basic</c>, or null: no credentials are sent.</summary>
    public string? UserName { get; }

    /// <summary>The password sent with <see cref="UserName"/> (null: empty).</summary>
    public string? Password { get; }

    /// <summary>"host:port" ("[v6]:port"): never the user or the password.</summary>
    public override string ToString() => Authority(Host, Port);

    /// <summary>"host:port" as an HTTP request target and Host header want it: an IPv6 address in brackets.</summary>
    internal static string Authority(string host, int port) =>
        string.Create(CultureInfo.InvariantCulture, $"{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}");
}
