using System.CommandLine;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// <c>--stats-interval DURATION</c> for the long-running servers that log their counters on a schedule (the tunnel's
/// verbs and <c>relay spalloc serve</c>; <c>relay server</c>/<c>client</c> have their own, checked with their options):
/// 0 to 1 day, a bare number in seconds, 0 (the default) meaning "only when stopping".
/// </summary>
internal static class StatsIntervalOption
{
    public static Option<TimeSpan> Create(string counters) => new("--stats-interval")
    {
        Description = $"Log {counters} this often; they are also logged when stopping (0 = only then). [default: 0]",
        CustomParser = r => ValueParsers.DurationUpToADay(r, "s"),
        HelpName = "duration",
    };
}
