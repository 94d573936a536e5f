using System.Net;
using System.Net.Sockets;

namespace FastSpinnRelay.Tests.Shared;

/// <summary>
/// A loopback UDP port that answers every datagram with ICMP "port unreachable", as a closed port does, for as long as
/// this lives: a socket bound to 127.0.0.1 port 0 and connected to its own address, so the kernel gives it nothing from
/// anyone else. Unlike a port that was free a moment ago, no parallel test's port-0 bind can take it and swallow the
/// datagrams meant to fail.
/// </summary>
internal sealed class DeafUdpPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public DeafUdpPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _socket.Connect(EndPoint);
    }

    public IPEndPoint EndPoint { get; }

    public void Dispose() => _socket.Dispose();
}
