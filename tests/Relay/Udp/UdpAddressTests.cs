using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Udp;

public class UdpAddressTests
{
    [Theory]
    [InlineData("127.0.0.1", 17893)]
    [InlineData("10.11.192.1", 54321)]
    [InlineData("0.0.0.0", 0)]
    [InlineData("255.255.255.255", 65535)]
    [InlineData("::1", 17894)]
    [InlineData("2001:db8::17", 1)]
    [InlineData("::ffff:192.168.240.253", 17893)]
    public void Round_trips_through_IPEndPoint(string ip, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(ip), port);
        var address = UdpAddress.FromIPEndPoint(endPoint);

        Assert.Equal(endPoint, address.ToIPEndPoint());
        Assert.Equal(port, address.Port);
        Assert.Equal(endPoint.AddressFamily, address.Family);
        Assert.False(address.IsEmpty);
        Assert.Equal(endPoint.ToString(), address.ToString());
    }

    [Fact]
    public void Keeps_the_IPv6_scope_id()
    {
        var endPoint = new IPEndPoint(IPAddress.Parse("fe80::1%3"), 9);
        var address = UdpAddress.FromIPEndPoint(endPoint);

        Assert.Equal(3, address.ToIPAddress().ScopeId);
        Assert.NotEqual(address, UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("fe80::1%4"), 9)));
    }

    [Fact]
    public void Is_32_bytes_inline()
    {
        Assert.Equal(UdpAddress.ByteLength, Unsafe.SizeOf<UdpAddress>());
        Assert.True(typeof(UdpAddress).IsValueType);
        Assert.False(RuntimeHelpers.IsReferenceOrContainsReferences<UdpAddress>());
    }

    [Fact]
    public void Equality_and_hash_follow_address_and_port()
    {
        var a = new UdpAddress(IPAddress.Parse("192.168.1.2"), 17893);
        var same = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Parse("192.168.1.2"), 17893));
        var otherPort = new UdpAddress(IPAddress.Parse("192.168.1.2"), 17894);
        var otherHost = new UdpAddress(IPAddress.Parse("192.168.1.3"), 17893);
        var mapped = new UdpAddress(IPAddress.Parse("::ffff:192.168.1.2"), 17893);

        Assert.Equal(a, same);
        Assert.True(a == same);
        Assert.Equal(a.GetHashCode(), same.GetHashCode());
        Assert.NotEqual(a, otherPort);
        Assert.True(a != otherHost);
        Assert.NotEqual(a, mapped);
        Assert.False(a.Equals((object)"192.168.1.2:17893"));
        Assert.True(a.Equals((object)same));
    }

    [Fact]
    public void Default_is_empty()
    {
        UdpAddress none = default;

        Assert.True(none.IsEmpty);
        Assert.Equal(AddressFamily.Unspecified, none.Family);
        Assert.Equal("(none)", none.ToString());
        Assert.Throws<InvalidOperationException>(() => none.ToIPEndPoint());
    }

    [Theory]
    [InlineData("1.2.3.4:5", true)]
    [InlineData("[::1]:17893", true)]
    [InlineData("not an address", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Parses_endpoint_text(string? text, bool valid)
    {
        Assert.Equal(valid, UdpAddress.TryParse(text, out var address));
        Assert.Equal(valid, !address.IsEmpty);
    }

    [Fact]
    public void Rejects_bad_ports()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpAddress(IPAddress.Loopback, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpAddress(IPAddress.Loopback, 65536));
    }

    [Fact]
    public void Keys_a_dictionary_without_allocating_on_lookup()
    {
        var flows = new Dictionary<UdpAddress, int>();
        for (var i = 0; i < 1000; i++)
        {
            flows[new UdpAddress(IPAddress.Parse($"10.0.{i / 250}.{i % 250}"), 40000 + i)] = i;
            flows[new UdpAddress(IPAddress.Parse($"2001:db8::{i:x}"), 40000 + i)] = -i;
        }

        var v4 = new UdpAddress(IPAddress.Parse("10.0.1.7"), 40257);
        var v6 = new UdpAddress(IPAddress.Parse("2001:db8::101"), 40257);
        var missing = new UdpAddress(IPAddress.Parse("10.0.1.7"), 40258);

        var sum = Lookups(flows, v4, v6, missing); // Warm up: first calls may run static initialisers.
        Allocations.AssertNone(() => sum += Lookups(flows, v4, v6, missing));

        Assert.Equal(0, sum);
        Assert.Equal(2000, flows.Count);
    }

    private static int Lookups(Dictionary<UdpAddress, int> flows, UdpAddress v4, UdpAddress v6, UdpAddress missing)
    {
        var sum = 0;
        for (var i = 0; i < 10_000; i++)
        {
            sum += flows[v4] + flows[v6] + (flows.TryGetValue(missing, out var x) ? x : 0);
        }

        return sum;
    }

    [Fact]
    public void Converts_to_and_from_a_platform_SocketAddress()
    {
        foreach (var text in new[] { "172.16.0.9:17893", "[2001:db8::5]:54321" })
        {
            var address = UdpAddress.FromIPEndPoint(IPEndPoint.Parse(text));
            var socketAddress = new SocketAddress(address.Family);

            address.WriteTo(socketAddress);

            Assert.Equal(IPEndPoint.Parse(text).Serialize(), socketAddress);
            Assert.Equal(address, UdpAddress.FromSocketAddress(socketAddress));
        }
    }

    [Theory]
    [InlineData("10.11.192.1")]
    [InlineData("2001:db8::17")]
    [InlineData("::ffff:192.168.240.253")]
    public void Writes_the_address_bytes_in_network_order(string ip)
    {
        var address = IPAddress.Parse(ip);
        Span<byte> bytes = stackalloc byte[16];

        var written = new UdpAddress(address, 9).WriteAddressBytes(bytes);

        Assert.Equal(address.GetAddressBytes(), bytes[..written].ToArray());
        Assert.Equal(0, new UdpAddress(address, 9).WriteAddressBytes(bytes[..3]));
        Assert.Equal(0, default(UdpAddress).WriteAddressBytes(bytes));
    }
}
