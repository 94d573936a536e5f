using System.Net;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>HOST:PORT typed on the command line (--spike-to, bench --target): a host the resolver refuses is a problem named, not a crash.</summary>
public class HostPortTextTests
{
    [Theory]
    [InlineData(256)]
    [InlineData(10_000)]
    public void A_host_name_too_long_to_resolve_is_a_named_problem(int length)
    {
        string host = new('h', length);

        Assert.False(EndPointText.TryResolveHostPort(host + ":17895", out IPEndPoint? endPoint, out string? problem));
        Assert.Null(endPoint);
        Assert.StartsWith($"host '{new string('h', 80)}", problem, StringComparison.Ordinal);
        Assert.True(problem!.Length < 400, problem);

        var error = Assert.Single(RelayCommandLine.Parse(["emulate", "--spike-to", host + ":17895"]).Errors);
        Assert.Contains("is not HOST:PORT for --spike-to", error.Message, StringComparison.Ordinal);
        Assert.False(FastSpinnRelay.Relay.Bench.BenchPaths.TryParseTarget(host + ":17893", out _, out string? benchError));
        Assert.StartsWith("--target host 'hhh", benchError, StringComparison.Ordinal);
    }
}
