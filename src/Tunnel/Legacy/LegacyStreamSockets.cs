using System.Net;
using System.Net.Sockets;

namespace FastSpinnRelay.Tunnel.Legacy;

/// <summary>Opening TCP sockets for spinnaker_proxy streams: listeners, connects, and the options every stream gets.</summary>
public static class LegacyStreamSockets
{
    /// <summary>Idle time before TCP keep-alive probes start, so a vanished peer is noticed (the original never does).</summary>
    public static readonly TimeSpan KeepAliveIdle = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Sets what a datagram stream needs: no Nagle delay (an SCP request is one small write and waits for its
    /// reply), and keep-alive probes (60 s idle, then every 10 s, 6 tries) so dead peers are found and closed.
    /// </summary>
    public static void Configure(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        socket.NoDelay = true;
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, (int)KeepAliveIdle.TotalSeconds);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, 10);
            socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, 6);
        }
        catch (SocketException)
        {
            // Not supported here: dead peers are then found by the write timeout only.
        }
        catch (PlatformNotSupportedException)
        {
            // As above.
        }
    }

    /// <summary>
    /// A listening socket on <paramref name="endPoint"/> (port 0 picks one) with SO_REUSEADDR, so a restarted
    /// server can bind while old connections linger in TIME_WAIT; <c>::</c> also accepts IPv4.
    /// </summary>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static Socket Listen(IPEndPoint endPoint, int backlog)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            AllowRebindOverTimeWait(socket);
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sets SO_REUSEADDR alone. <see cref="SocketOptionName.ReuseAddress"/> would also set SO_REUSEPORT on Linux,
    /// letting a second relay listen on the same port and take half the connections; a port in use must stay an
    /// error. Windows needs nothing (it lets a listener bind over TIME_WAIT already).
    /// </summary>
    private static void AllowRebindOverTimeWait(Socket socket)
    {
        var (level, name) = OperatingSystem.IsLinux() ? (1, 2)
            : OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD() ? (0xFFFF, 4)
            : (0, 0);
        if (name != 0)
        {
            Span<byte> on = stackalloc byte[sizeof(int)];
            var one = 1;
            System.Runtime.InteropServices.MemoryMarshal.Write(on, in one);
            socket.SetRawSocketOption(level, name, on);
        }
    }

    /// <summary>Connects to <paramref name="endPoint"/> within <paramref name="timeout"/>, configured by <see cref="Configure"/>.</summary>
    /// <exception cref="SocketException">Refused, unreachable, or <see cref="SocketError.TimedOut"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static async Task<Socket> ConnectAsync(IPEndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            Configure(socket);
            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
