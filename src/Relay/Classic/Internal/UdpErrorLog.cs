using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>
/// Logs what the UDP engine reports as unexpected (errors it counted and survived, exceptions from callbacks),
/// rate-limited: a misconfiguration can repeat once per datagram.
/// </summary>
internal sealed class UdpErrorLog(string component) : IUdpErrorSink
{
    private readonly LogLimiter _limiter = new(5, TimeSpan.FromSeconds(10));

    public void OnSocketError(UdpSocket? socket, UdpOperation operation, int errorCode) =>
        _limiter.Write(LogLevel.Warning, component, (Socket: socket?.Name ?? "event loop", Operation: operation, Code: errorCode), static s =>
            $"unexpected UDP error on {s.Socket} during {s.Operation}: errno {s.Code} (counted; carrying on)");

    public void OnCallbackFault(UdpEventLoop loop, Exception exception) =>
        _limiter.Write(LogLevel.Error, component, exception, static e =>
            $"internal error in the UDP loop (carrying on): {e.GetType().Name}: {Log.Escape(e.Message)}");
}
