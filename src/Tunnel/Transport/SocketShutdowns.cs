using System.Net.Sockets;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>Shutting a TCP socket down when it may already be reset or disposed.</summary>
public static class SocketShutdowns
{
    /// <summary>
    /// Shuts <paramref name="socket"/> down both ways: the peer gets an orderly FIN and a pending read or send on it
    /// ends. A socket already reset or disposed is left as it is (nothing more to tell the peer).
    /// </summary>
    public static void TryShutdownBoth(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already reset or closed.
        }
    }
}
