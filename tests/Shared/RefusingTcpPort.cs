using System.Net;
using System.Net.Sockets;

namespace FastSpinnRelay.Tests.Shared;

/// <summary>
/// A loopback TCP port where connections are refused, for as long as this lives: a socket bound to 127.0.0.1 port 0
/// that never listens. Unlike a port that was free a moment ago, no parallel test's bind can take it and answer.
/// </summary>
internal sealed class RefusingTcpPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public RefusingTcpPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public void Dispose() => _socket.Dispose();
}
