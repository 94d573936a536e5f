using System.Net;
using System.Net.Sockets;

namespace FastSpinnRelay.Relay.Internal;

/// <summary>Opening plain UDP sockets for the emulator and the host-side tools.</summary>
internal static class UdpSockets
{
    /// <summary>A UDP socket bound to <paramref name="endPoint"/>; throws <see cref="SocketException"/> (nothing leaks) on failure.</summary>
    public static Socket Bind(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(endPoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A client socket for talking to <paramref name="target"/>: bound to <paramref name="localEndPoint"/>, or by
    /// default to port 0 on the loopback address when the target is loopback, else on any address of its family.
    /// </summary>
    public static Socket BindClient(IPEndPoint target, IPEndPoint? localEndPoint) =>
        Bind(localEndPoint ?? LocalEndPointFor(target));

    /// <summary>
    /// Where a socket that talks to <paramref name="target"/> binds: port 0 on the loopback address of its family when
    /// the target is loopback, else on any address of its family.
    /// </summary>
    public static IPEndPoint LocalEndPointFor(IPEndPoint target)
    {
        var v6 = target.AddressFamily == AddressFamily.InterNetworkV6;
        var address = IPAddress.IsLoopback(target.Address)
            ? (v6 ? IPAddress.IPv6Loopback : IPAddress.Loopback)
            : (v6 ? IPAddress.IPv6Any : IPAddress.Any);
        return new IPEndPoint(address, 0);
    }
}
