using FastSpinnRelay.Relay.Tunneling.Internal;
using FastSpinnRelay.Relay.Udp;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>
/// What the tunnel server queues from a board socket's receive batch: every intact datagram in order and no cut one,
/// whether the batch holds views into coalesced trains (UDP_GRO) or copies in its own slots.
/// </summary>
public class BatchDatagramsTests
{
    [Theory]
    [MemberData(nameof(BothPaths), MemberType = typeof(Relay.Tests.Udp.UdpTestSupport))]
    public void Only_intact_datagrams_come_out_in_order(bool portable)
    {
        using var receiver = Open(portable);
        using var sender = Open(portable: false, new UdpSocketOptions { SendSlots = 256 });

        // Runs of one size leave as trains; the 100-byte ones are longer than the 40-byte slots and are cut.
        int[] sizes = [.. Enumerable.Repeat(30, 10), .. Enumerable.Repeat(100, 7), .. Enumerable.Repeat(12, 9), 100, 40];
        var payload = new byte[100];
        for (var i = 0; i < sizes.Length; i++)
        {
            Fill(payload.AsSpan(0, sizes[i]), i);
            sender.QueueSendTo(payload.AsSpan(0, sizes[i]), receiver.LocalAddress);
        }

        Assert.True(WaitUntil(() => sender.FlushSends() == UdpStatus.Ok && sender.QueuedSendCount == 0));

        using var batch = new DatagramBatch(64, slotSize: 40);
        var expected = new List<byte[]>();
        var queued = new List<byte[]>();
        var trains = false;
        Assert.Equal(sizes.Length, ReceiveUntil(receiver, batch, sizes.Length, b =>
        {
            trains |= b.HoldsTrains;
            for (var i = 0; i < b.Count; i++)
            {
                if (!b.IsTruncated(i))
                {
                    expected.Add(b.GetPayload(i).ToArray());
                }
            }

            var source = new BatchDatagrams(b);
            while (source.TryNext(out ReadOnlySpan<byte> datagram))
            {
                queued.Add(datagram.ToArray());
            }
        }));

        Assert.Equal(!portable && receiver.ReceivesCoalesced, trains);
        Assert.Equal(10 + 9 + 1, expected.Count);
        Assert.Equal(expected, queued);
        Assert.Equal([.. Enumerable.Repeat(30, 10), .. Enumerable.Repeat(12, 9), 40], queued.Select(d => d.Length));
    }
}
