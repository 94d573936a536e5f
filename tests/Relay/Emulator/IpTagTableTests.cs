using System.Net;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;

namespace FastSpinnRelay.Relay.Tests.Emulator;

public class IpTagTableTests
{
    private static readonly SocketAddress Requester = new IPEndPoint(IPAddress.Parse("127.0.0.9"), 4242).Serialize();

    [Fact]
    public void Pool_holds_8_transient_tags_then_refuses_until_one_is_released()
    {
        var table = new IpTagTable();

        var taken = Enumerable.Range(0, 8).Select(_ => table.AllocateTransient(Requester, 0)).ToArray();

        Assert.Equal(Enumerable.Range(8, 8), taken);
        Assert.Equal(-1, table.AllocateTransient(Requester, 0));
        table.ReleaseTransient(11, 0);
        Assert.Equal(11, table.AllocateTransient(Requester, 0));
        Assert.Equal(8, table.TransientInUse);
    }

    [Fact]
    public void Lapsed_transient_tags_are_reclaimed()
    {
        var table = new IpTagTable();
        for (var i = 0; i < 8; i++)
        {
            table.AllocateTransient(Requester, 0);
        }

        var lifetime = IpTagTable.TransientLifetimeTicks(IpTagTable.DefaultTimeoutCode);

        Assert.Equal(-1, table.AllocateTransient(Requester, lifetime - 1));
        Assert.Equal(8, table.AllocateTransient(Requester, lifetime));

        // All 8 lapsed together; tag 8 now carries the new request. The lapsed request's late reply must not free it.
        Assert.Equal(1, table.TransientInUse);
        table.ReleaseTransient(8, 0);
        Assert.Equal(1, table.TransientInUse);
        table.ReleaseTransient(8, lifetime);
        Assert.Equal(0, table.TransientInUse);
    }

    [Fact]
    public void Transient_tag_describes_its_requester()
    {
        var table = new IpTagTable();
        var tag = table.AllocateTransient(Requester, 0);

        Assert.True(table.TryDescribe(tag, out var entry));

        Assert.Equal(ScpIpTag.EncodeIPv4(127, 0, 0, 9), entry.IPv4);
        Assert.Equal(4242, entry.TxPort);
        Assert.Equal(ScpIpTagFlags.Valid | ScpIpTagFlags.Transient, entry.Flags & (ScpIpTagFlags)0xFF00);
        Assert.Equal(256, entry.Timeout);   // code 9: 2^8 ticks of 10 ms
        Assert.False(table.TryDescribe(16, out _));
    }

    [Fact]
    public void Fixed_tags_are_0_to_7_and_new_skips_the_hosts_tag_0()
    {
        var table = new IpTagTable();

        Assert.Equal(1, table.FindFreeFixed());
        Assert.Null(table.SetFixed(new IpTag { Number = 1 }));
        Assert.Equal(2, table.FindFreeFixed());
        Assert.Throws<ArgumentOutOfRangeException>(() => table.SetFixed(new IpTag { Number = 8 }));
        Assert.NotNull(table.Clear(1));
        Assert.Null(table.Get(1));
        Assert.True(table.TryDescribe(1, out var free));
        Assert.False(free.IsValid);
    }

    [Fact]
    public void Timeout_code_16_and_above_is_refused_but_reports_the_current_one()
    {
        var table = new IpTagTable();

        Assert.True(table.TrySetTimeoutCode(3, out var before));
        Assert.False(table.TrySetTimeoutCode(16, out var now));

        Assert.Equal((9, 3, 3), (before, now, table.TransientTimeoutCode));
    }
}
