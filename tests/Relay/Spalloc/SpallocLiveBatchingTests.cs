using System.Net;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>
/// serve's board -> client direction, where frames already queued are written together: every datagram is still one
/// MSG frame with exactly its bytes, in order, and a datagram that finds nothing else queued is sent without waiting
/// for company.
/// </summary>
public class SpallocLiveBatchingTests
{
    [Fact]
    public async Task A_burst_of_board_datagrams_of_every_size_arrives_as_one_frame_each_in_order()
    {
        // 600 datagrams of 1 to 300 bytes (both websocket header sizes), 90 KB: well inside the 1 MiB send queue and
        // the channel socket's receive buffer, so nothing may be dropped however the machine schedules.
        await using var s = await ProxyScenario.StartAsync();
        var (channel, _, port) = await s.Client.OpenUnboundAsync();
        using var board = new RawUdp();
        var sent = Datagrams(600, seed: 21);

        foreach (var datagram in sent)
        {
            board.Send(datagram, new IPEndPoint(IPAddress.Loopback, port));
        }

        foreach (var expected in sent)
        {
            Assert.Equal(expected, s.Client.NextMessage(channel));
        }

        Assert.Equal(600, s.Counters.DatagramsFromBoards);
        Assert.Equal(0, s.Counters.LiveFramesDropped);
    }

    [Fact]
    public async Task A_lone_board_datagram_is_sent_without_waiting_for_more()
    {
        // Each datagram is the only traffic until it has arrived: were it held for a batch to fill, it never would.
        await using var s = await ProxyScenario.StartAsync();
        var (channel, _, port) = await s.Client.OpenUnboundAsync();
        using var board = new RawUdp();

        for (var i = 1; i <= 5; i++)
        {
            board.Send([(byte)i, 0xEE], new IPEndPoint(IPAddress.Loopback, port));
            Assert.Equal(new byte[] { (byte)i, 0xEE }, s.Client.NextMessage(channel));
        }
    }

    /// <summary>Datagrams of 1 to 300 bytes, each numbered in its first two bytes (the rest random; never SDP-shaped).</summary>
    internal static List<byte[]> Datagrams(int count, int seed)
    {
        var random = new Random(seed);
        var list = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            var datagram = new byte[i % 300 + 1];
            random.NextBytes(datagram);
            datagram[0] = (byte)(i | 1);
            if (datagram.Length > 1)
            {
                datagram[1] = (byte)(i >> 8);
            }

            list.Add(datagram);
        }

        return list;
    }
}
