using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Bench;

public class ChildProcessTests
{
    [Fact]
    public void A_child_does_not_inherit_the_inline_completions_this_process_chose_for_itself()
    {
        if (Environment.GetEnvironmentVariable(InlineSocketCompletions.Variable) is not null && !InlineSocketCompletions.SetHere)
        {
            return; // set by whoever runs the tests: children inherit it on purpose
        }

        InlineSocketCompletions.Prefer(); // as `relay tunnel connect` run in-process by a test does
        Assert.True(InlineSocketCompletions.SetHere);
        Assert.Equal("1", Environment.GetEnvironmentVariable(InlineSocketCompletions.Variable));

        using var child = ChildProcess.Start("/bin/sh", ["-c", $"echo \"inline=${{{InlineSocketCompletions.Variable}:-unset}}\""]);

        Assert.True(Loopback.WaitUntil(() => child.RecentOutput().Contains("inline=", StringComparison.Ordinal)), child.RecentOutput());
        Assert.Contains("inline=unset", child.RecentOutput(), StringComparison.Ordinal);
    }
}
