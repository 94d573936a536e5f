using System.Net;
using FastSpinnRelay.Relay.Spalloc.Server.Internal;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>Wrong tokens cannot make the server spend unbounded PBKDF2 work: per address, in all, and repeated ones cost a hash.</summary>
public class LoginThrottleTests
{
    private static readonly IPAddress Mallory = IPAddress.Parse("192.0.2.66");
    private static readonly IPAddress Alice = IPAddress.Parse("192.0.2.1");

    [Fact]
    public void An_address_with_too_many_failures_is_refused_until_its_window_ends_and_others_are_not()
    {
        var time = new ManualTime();
        var throttle = new LoginThrottle(time);
        for (var i = 0; i < LoginThrottle.PerPeer; i++)
        {
            Assert.True(throttle.TryAllow(Mallory));
            throttle.Failed(Mallory);
        }

        Assert.False(throttle.TryAllow(Mallory));
        Assert.True(throttle.TryAllow(Alice));

        time.Advance(LoginThrottle.Window);
        Assert.True(throttle.TryAllow(Mallory));
    }

    [Fact]
    public void Failures_from_many_addresses_together_are_bounded_too()
    {
        var time = new ManualTime();
        var throttle = new LoginThrottle(time);
        for (var i = 0; i < LoginThrottle.Overall; i++)
        {
            var peer = new IPAddress([10, 0, (byte)(i / 256), (byte)i]);
            Assert.True(throttle.TryAllow(peer));
            throttle.Failed(peer);
        }

        Assert.False(throttle.TryAllow(Alice));
        Assert.False(throttle.TryAllow(null));
        time.Advance(LoginThrottle.Window);
        Assert.True(throttle.TryAllow(Alice));
    }

    [Fact]
    public void The_address_table_stays_bounded_under_a_flood_of_addresses()
    {
        var time = new ManualTime();
        var throttle = new LoginThrottle(time);
        for (var i = 0; i < 3 * LoginThrottle.MaxPeers; i++)
        {
            throttle.Failed(new IPAddress([10, (byte)(i >> 16), (byte)(i >> 8), (byte)i]));
            if (i % 100 == 0)
            {
                time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        Assert.True(throttle.PeersRemembered <= LoginThrottle.MaxPeers, $"{throttle.PeersRemembered} addresses remembered");
    }

    [Fact]
    public void A_wrong_token_is_checked_once_then_refused_cheaply_and_a_right_one_still_works_from_elsewhere()
    {
        var time = new ManualTime();
        var users = new UserDirectory(SpallocTestServer.KnownUsers, new LoginThrottle(time));

        // Past the per-address budget with distinct wrong tokens: then even a right token from that address is refused.
        for (var i = 0; i < LoginThrottle.PerPeer; i++)
        {
            Assert.Null(users.Authenticate($"wrong-{i}", Mallory));
        }

        Assert.Null(users.Authenticate(SpallocTestServer.AliceToken, Mallory));
        Assert.Equal(1, users.Counters.Throttled);

        // A wrong token seen before is refused by its hash, without using the budget or counting as throttled.
        Assert.Null(users.Authenticate("wrong-0", Alice));
        Assert.Equal(1, users.Counters.Throttled);

        Assert.Equal("alice", users.Authenticate(SpallocTestServer.AliceToken, Alice)?.Name);
        Assert.Equal("alice", users.Authenticate(SpallocTestServer.AliceToken, Mallory)?.Name); // known now: no check needed
        Assert.Equal("alice", users.Authenticate("alice", SpallocTestServer.AliceToken, Alice)?.Name);
        Assert.Null(users.Authenticate("bob", SpallocTestServer.AliceToken, Alice));
    }

    [Fact]
    public void Every_refusal_is_counted_once_and_those_that_cost_no_check_by_why()
    {
        var time = new ManualTime();
        var users = new UserDirectory(SpallocTestServer.KnownUsers, new LoginThrottle(time));

        for (var i = 0; i < LoginThrottle.PerPeer; i++)
        {
            Assert.Null(users.Authenticate($"wrong-{i}", Mallory));              // checked: 10 refused
        }

        Assert.Null(users.Authenticate("wrong-new", Mallory));                   // throttled
        Assert.Null(users.Authenticate("wrong-3", Mallory));                     // known wrong: no check, not throttled
        Assert.Null(users.Authenticate("wrong-3", Alice));                       // known wrong
        Assert.Null(users.Authenticate("", Alice));                              // empty: refused, nothing to check
        Assert.Null(users.Authenticate("nobody", SpallocTestServer.AliceToken, Alice)); // form login, no such user
        Assert.Null(users.Authenticate("bob", SpallocTestServer.AliceToken, Alice));    // alice's token for bob
        Assert.Equal("alice", users.Authenticate(SpallocTestServer.AliceToken, Alice)?.Name);
        Assert.Equal("alice", users.Authenticate("alice", SpallocTestServer.AliceToken, Alice)?.Name);

        Assert.Equal((16, 1, 2), (users.Counters.Refused, users.Counters.Throttled, users.Counters.RememberedWrong));
        Assert.Equal("logins refused: 16 (1 throttled without a check, 2 known wrong tokens)", users.Counters.ToString());

        // The window ends: a new wrong token is checked again, and counted as an ordinary refusal.
        time.Advance(LoginThrottle.Window);
        Assert.Null(users.Authenticate("wrong-after", Mallory));
        Assert.Equal((17, 1, 2), (users.Counters.Refused, users.Counters.Throttled, users.Counters.RememberedWrong));
    }
}
