using System.Net;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>
/// The visualisers a live-output stream also goes to beside the bench's sink (<c>relay bench --visualisers N</c>):
/// N - 1 loopback sockets read on one loop of their own (recvmmsg batches, as a visualiser reads), counting what
/// arrives and nothing more, so the relay's fan-out is measured as users run it. Allocates nothing per datagram.
/// </summary>
internal sealed class ExtraVisualisers : IUdpReceiver, IDisposable
{
    private readonly UdpEventLoop? _loop;
    private readonly UdpSocket[] _sockets;
    private readonly long[] _received;

    public ExtraVisualisers(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _sockets = new UdpSocket[count];
        _received = new long[count];
        if (count == 0)
        {
            return;
        }

        _loop = new UdpEventLoop(new UdpEventLoopOptions { Name = "bench-visualisers" });
        try
        {
            for (var i = 0; i < count; i++)
            {
                _sockets[i] = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { Name = $"bench-visualiser-{i + 2}" });
                if (!_loop.Register(_sockets[i], this))
                {
                    throw new InvalidOperationException("The extra visualisers' loop stopped before it started.");
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Where the relay must also send the live output, as HOST:PORT.</summary>
    public IReadOnlyList<string> Addresses => _sockets.Select(s => s.LocalEndPoint.ToString()).ToArray();

    /// <summary>Datagrams the one that received fewest got (probes and warm-up included); null without extras. Any thread.</summary>
    public long? FewestReceived => _received.Length == 0 ? null : Enumerable.Range(0, _received.Length).Min(i => Volatile.Read(ref _received[i]));

    public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
    {
        var i = Array.IndexOf(_sockets, socket);
        Volatile.Write(ref _received[i], _received[i] + batch.Count);
    }

    public void Dispose()
    {
        _loop?.Dispose();
        foreach (var socket in _sockets)
        {
            socket?.Dispose();
        }
    }
}
