using FastSpinnRelay.Relay.Demo;

namespace FastSpinnRelay.Relay.Tests.Demo;

public class DemoRunnerTests
{
    [Theory]
    [InlineData(DemoVia.Direct)]
    [InlineData(DemoVia.Classic)]
    [InlineData(DemoVia.ClassicTcp)]
    public async Task Small_demo_passes_every_step_and_says_so(DemoVia via)
    {
        var output = new StringWriter();
        var options = new DemoOptions { Via = via, BootGap = TimeSpan.Zero, MemoryBytes = 4096, ScpRequests = 50, SpikeRate = 10_000, SpikePackets = 300 };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var ok = await new DemoRunner(options, output).RunAsync(timeout.Token);

        var text = output.ToString();
        Assert.True(ok, text);
        Assert.Contains("all steps passed", text, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", text, StringComparison.Ordinal);
        foreach (var step in new[] { "version before boot", "boot", "memory write + read", "SCP round trips", "live spike stream" })
        {
            Assert.Contains(step, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Options_report_every_problem()
    {
        var problems = new DemoOptions { MemoryBytes = 0, ScpRequests = 0, SpikeRate = -1, SpikePackets = 0 }.Validate();
        Assert.Equal(4, problems.Count);
    }
}
