namespace FastSpinnRelay.Relay.Tests.TestSupport;

/// <summary>Files of the repository itself (docs, deploy), for tests that check them against the code.</summary>
internal static class Repository
{
    /// <summary>The directory holding FastSpinnRelay.sln, found by walking up from the test assembly.</summary>
    public static string Root()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "FastSpinnRelay.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
