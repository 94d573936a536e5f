using System.Net.Sockets;
using System.Text;

namespace FastSpinnRelay.Relay.Diagnostics;

/// <summary>
/// Tells systemd (a unit with <c>Type=notify</c>) that the relay is up, its sockets bound, or that it is stopping:
/// one datagram to the socket <c>NOTIFY_SOCKET</c> names (sd_notify(3)). Without that variable it does nothing, so a
/// relay run by hand or by another manager is unaffected. Failures are ignored: readiness is a courtesy to the
/// service manager, never a reason to stop relaying.
/// </summary>
internal static class SystemdNotify
{
    private const string Variable = "NOTIFY_SOCKET";

    /// <summary>READY=1, once the verb's sockets are bound.</summary>
    public static void Ready() => Send(Environment.GetEnvironmentVariable(Variable), "READY=1");

    /// <summary>STOPPING=1, when a stop was asked for.</summary>
    public static void Stopping() => Send(Environment.GetEnvironmentVariable(Variable), "STOPPING=1");

    /// <summary>Sends <paramref name="message"/> to <paramref name="notifySocket"/> (a path, or @name for the abstract namespace); false when there is none or it failed.</summary>
    internal static bool Send(string? notifySocket, string message)
    {
        if (string.IsNullOrEmpty(notifySocket) || !(notifySocket[0] is '/' or '@'))
        {
            return false;
        }

        try
        {
            var address = notifySocket[0] == '@' ? "\0" + notifySocket[1..] : notifySocket;
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(address));
            socket.Send(Encoding.ASCII.GetBytes(message));
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException or ObjectDisposedException)
        {
            return false;
        }
    }
}
