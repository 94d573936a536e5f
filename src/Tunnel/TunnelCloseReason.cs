namespace FastSpinnRelay.Tunnel;

/// <summary>Why a tunnel connection ended (recorded on the session and logged). The first reason found wins.</summary>
public enum TunnelCloseReason
{
    /// <summary>Still open.</summary>
    None = 0,

    /// <summary>This side is shutting down (Dispose / Stop).</summary>
    LocalShutdown,

    /// <summary>The test or the owner cut the connection on purpose (<c>Abort</c>).</summary>
    Aborted,

    /// <summary>The peer closed the stream.</summary>
    PeerClosed,

    /// <summary>The transport failed (reset, broken pipe, TLS error).</summary>
    TransportError,

    /// <summary>The peer sent an ERROR frame.</summary>
    PeerError,

    /// <summary>A malformed frame (wrong length for its type, unknown type, bad batch, reserved bits).</summary>
    ProtocolViolation,

    /// <summary>A frame longer than the configured maximum.</summary>
    FrameTooLarge,

    /// <summary>A reliable frame above the next expected sequence number.</summary>
    OutOfSequence,

    /// <summary>An acknowledgement or resume point for frames never sent.</summary>
    BadAcknowledgement,

    /// <summary>Nothing received for the dead-peer timeout.</summary>
    DeadPeer,

    /// <summary>A newer connection resumed the session.</summary>
    Replaced,

    /// <summary>The handshake did not complete in time.</summary>
    HandshakeTimeout,

    /// <summary>Wrong or missing proof of the key (either direction).</summary>
    AuthenticationFailed,

    /// <summary>The auth method is not allowed here.</summary>
    AuthMethodNotAllowed,

    /// <summary>No common protocol version.</summary>
    UnsupportedVersion,

    /// <summary>The server has no room for another session.</summary>
    SessionLimit,

    /// <summary>A frame that makes no sense in the handshake (wrong type, bad magic).</summary>
    HandshakeViolation,

    /// <summary>
    /// The peer sent ERROR Shutdown: it is going away and its session with it. A server ends a client's session at once;
    /// a client reconnects (a restarted server tells it the session is gone).
    /// </summary>
    PeerShutdown,

    /// <summary>
    /// The server's credentials no longer let the client in: a reload removed its certificate from the list, or changed
    /// the pre-shared key it proved (<see cref="TunnelServer.UpdateCredentialsAsync"/>). Its session ends with it. A client
    /// records it when the server sends ERROR AuthMethodNotAllowed or AuthenticationFailed after the handshake.
    /// </summary>
    Revoked,

    /// <summary>
    /// This side (a client) refused the server's TLS certificate: not the pinned one, not chained to a trusted root, or
    /// not for the host name asked for (<see cref="Transport.TunnelServerCertificateException"/>).
    /// </summary>
    ServerCertificateRejected,

    /// <summary>
    /// The HTTP proxy the client goes through did not open a tunnel to the server
    /// (<see cref="Transport.TunnelHttpProxyException"/>): it answered CONNECT with a status other than 2xx and 407 (403, 502,
    /// 503…), answered something that is not HTTP, did not answer in time, or closed the connection. Retried: proxies
    /// restart, their way to the server comes and goes, and some rules depend on the time of day.
    /// </summary>
    ProxyRefused,

    /// <summary>
    /// The HTTP proxy answered 407 Proxy Authentication Required: it wants credentials and none were sent, or it refused
    /// those sent. The client sends the same credentials at every attempt (they are read once, at start), so retrying
    /// cannot fix it.
    /// </summary>
    ProxyAuthenticationFailed,
}

/// <summary>Which close reasons a retry cannot fix.</summary>
public static class TunnelCloseReasons
{
    /// <summary>
    /// True for a refusal that reconnecting cannot fix, only a change of credentials or configuration at one end: the
    /// server refused our proof (wrong key), our auth method or client certificate (not on its list, none presented),
    /// or our protocol versions; we refused the server (its key proof, or its TLS certificate); or the HTTP proxy on the
    /// way wants credentials we do not have (407). Everything else (connection refused, timeouts, resets, the server's
    /// session limit, a dropped connection, any other answer of the proxy) is transient.
    /// </summary>
    public static bool IsFinalRefusal(this TunnelCloseReason reason) => reason is TunnelCloseReason.AuthenticationFailed
        or TunnelCloseReason.AuthMethodNotAllowed or TunnelCloseReason.UnsupportedVersion or TunnelCloseReason.ServerCertificateRejected
        or TunnelCloseReason.ProxyAuthenticationFailed;
}
