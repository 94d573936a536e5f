using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>When a loop that has just handled datagrams polls before it sleeps: while spins pay, and rarely once they stop paying.</summary>
public class SpinPolicyTests
{
    [Fact]
    public void A_new_policy_spins_and_keeps_spinning_while_spins_find_datagrams()
    {
        var policy = default(SpinPolicy);

        for (var i = 0; i < 1000; i++)
        {
            Assert.True(policy.ShouldSpin());
            policy.Hit();
        }

        Assert.Equal(SpinPolicy.MaxCredit, policy.Credit);
    }

    [Fact]
    public void Misses_in_a_row_stop_the_spinning_and_then_one_chance_in_the_probe_interval_spins()
    {
        var policy = default(SpinPolicy);
        for (var i = 0; i < SpinPolicy.MaxCredit; i++)
        {
            Assert.True(policy.ShouldSpin());
            policy.Miss();
        }

        Assert.Equal(0, policy.Credit);
        for (var round = 0; round < 3; round++)
        {
            var spins = 0;
            for (var i = 0; i < SpinPolicy.ProbeInterval; i++)
            {
                if (policy.ShouldSpin())
                {
                    spins++;
                    policy.Miss();
                }
            }

            Assert.Equal(1, spins);
        }
    }

    [Fact]
    public void A_probe_that_finds_datagrams_brings_the_spinning_back()
    {
        var policy = default(SpinPolicy);
        for (var i = 0; i < SpinPolicy.MaxCredit; i++)
        {
            policy.Miss();
        }

        var chances = 0;
        while (!policy.ShouldSpin() && chances < 10 * SpinPolicy.ProbeInterval)
        {
            chances++;
        }

        Assert.Equal(SpinPolicy.ProbeInterval - 1, chances);
        policy.Hit();
        Assert.True(policy.ShouldSpin());
        Assert.Equal(1, policy.Credit);
    }

    [Fact]
    public void Losing_the_core_during_a_spin_stops_the_spinning_at_once_until_a_probe()
    {
        var policy = default(SpinPolicy);
        policy.Hit();
        Assert.True(policy.ShouldSpin());

        policy.Contended();

        Assert.Equal(0, policy.Credit);
        var spins = 0;
        for (var i = 0; i < SpinPolicy.ProbeInterval; i++)
        {
            spins += policy.ShouldSpin() ? 1 : 0;
        }

        Assert.Equal(1, spins);
    }

    [Fact]
    public void Hits_and_misses_taking_turns_keep_the_spinning_on()
    {
        // A relay in request/response traffic: the board's reply comes within the spin, the client's next request
        // sometimes does not.
        var policy = default(SpinPolicy);
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(policy.ShouldSpin());
            if (i % 2 == 0)
            {
                policy.Miss();
            }
            else
            {
                policy.Hit();
            }
        }
    }
}
