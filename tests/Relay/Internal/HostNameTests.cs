using System.Net;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Internal;

/// <summary>
/// How a board's (or proxy server's) name becomes the address the relay uses, at start and at each reload: IPv4 first,
/// a literal as it is, and one line naming the host and the resolver's reason when it does not resolve.
/// </summary>
public class HostNameTests
{
    private static readonly IPAddress V6 = IPAddress.Parse("2001:db8::7");
    private static readonly IPAddress V4 = IPAddress.Parse("192.0.2.7");

    [Fact]
    public async Task The_first_IPv4_address_is_used_else_the_first_IPv6_one()
    {
        Assert.Equal(V4, await new HostName("spinn-4", "board", Loopback.Resolver([V6, V4, IPAddress.Loopback])).ResolveAsync(default));
        Assert.Equal(V6, await new HostName("spinn-4", "board", Loopback.Resolver([V6, IPAddress.IPv6Loopback])).ResolveAsync(default));
    }

    [Fact]
    public async Task A_literal_address_is_not_looked_up()
    {
        var name = new HostName("10.0.0.5", "board", Loopback.Resolver([null]));

        Assert.Equal(IPAddress.Parse("10.0.0.5"), name.Literal);
        Assert.Equal(IPAddress.Parse("10.0.0.5"), await name.ResolveAsync(default));
        Assert.Null(new HostName("spinn-4", "board").Literal);
    }

    [Fact]
    public async Task A_name_that_does_not_resolve_is_named_with_the_resolvers_reason()
    {
        var failed = await Assert.ThrowsAsync<RelayToolException>(() => new HostName("spinn-4", "board", Loopback.Resolver([null])).ResolveAsync(default));
        var empty = await Assert.ThrowsAsync<RelayToolException>(() => new HostName("spinn\n4", "proxy server", Loopback.Resolver([[]])).ResolveAsync(default));
        var refused = await Assert.ThrowsAsync<RelayToolException>(() =>
            new HostName("x", "board", (_, _) => Task.FromException<IPAddress[]>(new ArgumentOutOfRangeException("hostName", "too long"))).ResolveAsync(default));

        Assert.Equal(ExitCode.Network, failed.Code);
        Assert.Equal($"cannot resolve the board 'spinn-4': {Loopback.NotFound.Message}", failed.Message);
        Assert.Equal(@"the proxy server 'spinn\x0a4' has no IPv4 or IPv6 address", empty.Message);
        Assert.StartsWith("cannot resolve the board 'x': too long", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_move_is_described_with_both_addresses_and_no_move_as_still()
    {
        var name = new HostName("spinn-4", "board");

        Assert.Equal("board spinn-4 now 10.0.0.7 (was 10.0.0.5)", name.DescribeMove(IPAddress.Parse("10.0.0.5"), IPAddress.Parse("10.0.0.7")));
        Assert.Equal("board spinn-4 still 10.0.0.5", name.DescribeMove(IPAddress.Parse("10.0.0.5"), IPAddress.Parse("10.0.0.5")));
    }

    [Fact]
    public async Task Cancelling_a_lookup_under_way_ends_it()
    {
        using var stop = new CancellationTokenSource();
        var name = new HostName("spinn-4", "board", (_, ct) => Task.Delay(Timeout.Infinite, ct).ContinueWith<IPAddress[]>(_ => [], ct, TaskContinuationOptions.None, TaskScheduler.Default));
        var lookup = name.ResolveAsync(stop.Token);

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => lookup.WaitAsync(Loopback.Limit));
    }
}
