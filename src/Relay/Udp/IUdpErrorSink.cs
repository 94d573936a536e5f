namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// Receives reports of unexpected errors, set once at construction (<see cref="UdpSocketOptions.ErrorSink"/>,
/// <see cref="UdpEventLoopOptions.ErrorSink"/>). Expected conditions (would-block, ICMP errors, a full queue)
/// are only counted, never reported.
/// </summary>
/// <remarks>
/// Threading: called on the thread that hit the error, usually the loop thread (any thread for
/// <see cref="UdpSocket.SendTo"/>). Implementations must be thread-safe, cheap and must not block; an exception
/// thrown from here is swallowed. Rate-limit any logging: a misconfiguration can repeat once per datagram.
/// </remarks>
public interface IUdpErrorSink
{
    /// <param name="socket">The socket, or null for a loop-level error (e.g. epoll_wait failing).</param>
    /// <param name="operation">What was being done.</param>
    /// <param name="errorCode">The platform error number: errno on Linux/macOS, a WSA code on Windows.</param>
    void OnSocketError(UdpSocket? socket, UdpOperation operation, int errorCode);

    /// <summary>A callback run by the loop (receiver, posted work, tick handler) threw; the loop carried on.</summary>
    void OnCallbackFault(UdpEventLoop loop, Exception exception);
}
