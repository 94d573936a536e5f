using System.Net;
using System.Net.Sockets;

namespace FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

/// <summary>
/// Makes one proxy channel look like a board on a local UDP port, so the repository's ScpClient and BootSender drive
/// the emulated board through the server unchanged: datagrams to <see cref="LocalEndPoint"/> go out as MSG frames,
/// MSG frames of the channel come back to whoever sent last.
/// </summary>
internal sealed class ChannelBridge : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly ProxyClient _client;
    private readonly uint _channel;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private EndPoint? _peer;

    public ChannelBridge(ProxyClient client, uint channel)
    {
        _client = client;
        _channel = channel;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        client.Bridge(channel, payload =>
        {
            if (Volatile.Read(ref _peer) is { } peer)
            {
                _socket.SendTo(payload, peer);
            }
        });
        _thread = new Thread(Pump) { IsBackground = true, Name = "channel-bridge" };
        _thread.Start();
    }

    public IPEndPoint LocalEndPoint { get; }

    public void Dispose()
    {
        _stopping = true;
        _socket.Dispose();
        _thread.Join(TimeSpan.FromSeconds(5));
    }

    private void Pump()
    {
        var buffer = new byte[4096];
        try
        {
            while (!_stopping)
            {
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                var n = _socket.ReceiveFrom(buffer, ref from);
                Volatile.Write(ref _peer, from);
                _client.SendMessageAsync(_channel, buffer.AsSpan(0, n)).GetAwaiter().GetResult();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or System.Net.WebSockets.WebSocketException or OperationCanceledException)
        {
            // Closed.
        }
    }
}
