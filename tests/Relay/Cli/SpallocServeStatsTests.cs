using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Spalloc.Server;

namespace FastSpinnRelay.Relay.Tests.Cli;

public class SpallocServeStatsTests
{
    [Fact]
    public void Stats_interval_takes_a_duration_and_refuses_what_is_not_one()
    {
        var root = SpallocCommand.Create();

        Assert.Empty(root.Parse(["serve", "--config", "c.json", "--stats-interval", "1m"]).Errors);
        foreach (var bad in new[] { "soon", "-1s", "25h" })
        {
            var errors = root.Parse(["serve", "--config", "c.json", "--stats-interval", bad]).Errors;
            Assert.Contains(errors, e => e.Message.Contains("--stats-interval", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_proxy_totals_go_into_the_exit_report()
    {
        SpallocCommand.RecordExitCounters(new SpallocProxyCounters(), new ReloadCounters());

        var counters = ExitReport.Capture().Counters;
        foreach (var name in new[]
        {
            "spallocWebSocketsAccepted", "spallocDatagramsToBoards", "spallocDatagramsFromBoards", "spallocLiveFramesDropped",
            "spallocRepliesDropped", "spallocSendFailures", "spallocReloadsApplied", "spallocReloadsRefused",
        })
        {
            Assert.True(counters.ContainsKey(name), name);
        }
    }
}
