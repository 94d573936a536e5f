namespace FastSpinnRelay.Relay.Tests.TestSupport;

/// <summary>
/// The proxy variables of a relay child (.NET reads them once per process, so tests that vary them start children):
/// none of this machine's, only those a test sets.
/// </summary>
internal static class ProxyEnvironment
{
    private static readonly string[] Variables = ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"];

    /// <summary>Changes for a child's environment: every proxy variable removed, then <paramref name="set"/> set.</summary>
    public static Dictionary<string, string?> Only(params (string Name, string Value)[] set)
    {
        var environment = Variables.ToDictionary(name => name, _ => (string?)null);
        foreach (var (name, value) in set)
        {
            environment[name] = value;
        }

        return environment;
    }
}
