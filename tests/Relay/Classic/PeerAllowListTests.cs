using System.Net;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Classic;

public class PeerAllowListTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("192.168.1.7/32", "192.168.1.7", true)]
    [InlineData("192.168.1.7/32", "192.168.1.8", false)]
    [InlineData("172.16.0.0/12", "172.31.255.255", true)]
    [InlineData("172.16.0.0/12", "172.32.0.0", false)]
    [InlineData("0.0.0.0/0", "8.8.8.8", true)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "::ffff:11.1.2.3", false)]
    [InlineData("::ffff:10.0.0.0/104", "10.1.2.3", false)]
    [InlineData("::ffff:10.0.0.0/104", "::ffff:10.1.2.3", true)]
    [InlineData("2001:db8::/32", "2001:db8:1::5", true)]
    [InlineData("2001:db8::/32", "2001:db9::5", false)]
    [InlineData("2001:db8::/32", "10.0.0.1", false)]
    [InlineData("fe80::/10", "febf::1", true)]
    [InlineData("fe80::/10", "fec0::1", false)]
    public void Checks_the_prefix_bits_of_the_right_family(string network, string peer, bool allowed)
    {
        var list = new PeerAllowList([IPNetwork.Parse(network)]);
        var address = IPAddress.Parse(peer);

        Assert.Equal(allowed, list.Allows(address));
        Assert.Equal(allowed, list.Allows(new UdpAddress(address, 17894)));
    }

    [Fact]
    public void Empty_allows_anyone_and_any_listed_network_suffices()
    {
        Assert.True(PeerAllowList.Anyone.Allows(IPAddress.Parse("203.0.113.9")));
        Assert.Equal("anyone", PeerAllowList.Anyone.Description);

        var list = new PeerAllowList([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("192.168.0.0/16")]);
        Assert.True(list.Allows(IPAddress.Parse("192.168.3.4")));
        Assert.False(list.Allows(IPAddress.Parse("127.0.0.1")));
        Assert.Equal("10.0.0.0/8, 192.168.0.0/16", list.Description);
    }

    [Fact]
    public void Checking_a_UdpAddress_does_not_allocate()
    {
        var list = new PeerAllowList([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("2001:db8::/32")]);
        var v4 = new UdpAddress(IPAddress.Parse("10.1.2.3"), 1);
        var v6 = new UdpAddress(IPAddress.Parse("2001:db8::1"), 1);
        list.Allows(v4);

        var allowed = 0;
        Allocations.AssertNone(() =>
        {
            allowed = 0;
            for (var i = 0; i < 1000; i++)
            {
                allowed += (list.Allows(v4) ? 1 : 0) + (list.Allows(v6) ? 1 : 0);
            }
        });

        Assert.Equal(2000, allowed);
    }
}
