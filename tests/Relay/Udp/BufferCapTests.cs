using System.Net;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>A receive buffer the kernel caps below what relay asks for is noticed (and, for listening sockets, said once).</summary>
public class BufferCapTests
{
    [Fact]
    public void A_socket_asking_more_than_net_core_rmem_max_without_forcing_is_capped_and_one_within_it_is_not()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var rmemMax = long.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        const int Huge = 256 << 20; // the most UdpSocketOptions accepts
        using var huge = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { ReceiveBufferBytes = Huge, ForceBufferSizes = false });
        using var small = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { ReceiveBufferBytes = 16 * 1024, ForceBufferSizes = false });

        Assert.Equal(rmemMax < Huge, huge.ReceiveBufferCapped);
        Assert.Equal(rmemMax < 16 * 1024, small.ReceiveBufferCapped);
    }

    [Theory]
    [InlineData(4 << 20, 8 << 20, false)]   // Linux reports twice the effective size: all of it granted
    [InlineData(4 << 20, 425_984, true)]    // a stock net.core.rmem_max (208 KiB)
    [InlineData(0, 425_984, false)]         // the system default asked for
    public void Capped_compares_with_twice_the_request_as_linux_reports_it(int requested, int granted, bool capped)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        Assert.Equal(capped, BufferCapWarning.IsCapped(requested, granted));
    }

    [Fact]
    public void The_warning_names_both_sizes_and_the_fix()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var text = BufferCapWarning.Describe(4 << 20, 425_984);

        Assert.Contains("get 208 KiB where relay asks for 4 MiB", text, StringComparison.Ordinal);
        Assert.Contains("sysctl -w net.core.rmem_max=4194304", text, StringComparison.Ordinal);
        Assert.Contains("CAP_NET_ADMIN", text, StringComparison.Ordinal);
    }
}
