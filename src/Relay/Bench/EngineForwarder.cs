using System.Net;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Bench;

/// <summary>
/// The UDP engine's minimal one-hop forwarder, the C# twin of bench/baseline/udpfwd.c: datagrams arriving on the
/// listening socket go to the target through an upstream socket connected to it; datagrams from the target go
/// back to the most recent sender. One <see cref="UdpEventLoop"/> (epoll, recvmmsg/sendmmsg batches of 64), no
/// flows, no limits. `relay bench` runs it as a child (`relay bench forwarder`) to separate the engine's cost
/// from the cost of a relay mode built on it.
/// </summary>
public sealed class EngineForwarder : IDisposable
{
    private readonly UdpEventLoop _loop;
    private readonly UdpSocket _listen;
    private readonly UdpSocket _upstream;

    public EngineForwarder(IPEndPoint listen, IPEndPoint target)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(target);
        _listen = new UdpSocket(listen, new UdpSocketOptions { Name = "forwarder-listen" });
        try
        {
            _upstream = new UdpSocket(
                new IPEndPoint(target.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0),
                new UdpSocketOptions { Name = "forwarder-upstream", RemoteEndPoint = target });
        }
        catch
        {
            _listen.Dispose();
            throw;
        }

        _loop = new UdpEventLoop(new UdpEventLoopOptions { Name = "forwarder" });
        var toTarget = new ToTarget(_upstream);
        _loop.Register(_listen, toTarget);
        _loop.Register(_upstream, new ToSender(_listen, toTarget));
    }

    /// <summary>The port the forwarder listens on (the one the kernel picked for port 0).</summary>
    public int ListenPort => _listen.LocalAddress.Port;

    public void Dispose()
    {
        _loop.Dispose();
        _listen.Dispose();
        _upstream.Dispose();
    }

    /// <summary>Queues every datagram to the target and remembers who sent the last one.</summary>
    private sealed class ToTarget(UdpSocket upstream) : IUdpReceiver
    {
        public UdpAddress LastSender;

        public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                upstream.QueueSend(batch.GetPayload(i));
            }

            LastSender = batch.GetSource(batch.Count - 1);
        }
    }

    /// <summary>Queues every datagram from the target back to the last sender (dropped before anyone has sent).</summary>
    private sealed class ToSender(UdpSocket listen, ToTarget toTarget) : IUdpReceiver
    {
        public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
        {
            if (toTarget.LastSender.IsEmpty)
            {
                return;
            }

            for (var i = 0; i < batch.Count; i++)
            {
                listen.QueueSendTo(batch.GetPayload(i), toTarget.LastSender);
            }
        }
    }
}
