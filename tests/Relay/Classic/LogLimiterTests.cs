using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Tests.Classic;

public class LogLimiterTests
{
    [Fact]
    public void Allows_a_burst_then_counts_what_it_refused_for_the_next_line()
    {
        var limiter = new LogLimiter(3, TimeSpan.FromHours(1));

        var allowed = Enumerable.Range(0, 10).Count(_ => limiter.TryAcquire(out long _));

        Assert.Equal(3, allowed);
    }

    [Fact]
    public void A_new_window_reports_how_many_lines_were_left_out()
    {
        var limiter = new LogLimiter(1, TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryAcquire(out var first));
        Assert.Equal(0, first);

        var refused = 0;
        long reported = 0;
        Assert.True(ClassicTestSupport.WaitUntil(() =>
        {
            if (limiter.TryAcquire(out reported))
            {
                return true;
            }

            refused++;
            return false;
        }));

        Assert.Equal(refused, reported);
    }
}
