using System.Diagnostics;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>
/// What the paths need from the machine, found once per run: the command that runs this relay binary (for
/// children), the C baseline forwarder (found or built on first use), the peer command and the start timeout.
/// </summary>
internal sealed class BenchEnvironment
{
    private readonly string? _baselineOverride;
    private readonly Lazy<(string? Path, string? Problem)> _baseline;

    public BenchEnvironment(BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        (RelayFileName, RelayPrefixArguments, RelayProblem) = ResolveRelay(settings.RelayBinary);
        _baselineOverride = settings.BaselineBinary;
        _baseline = new(ResolveBaseline);
        PeerCommand = settings.PeerCommand;
        StartTimeout = settings.StartTimeout;
        Visualisers = settings.Visualisers;
    }

    /// <summary>The program that runs relay children (the relay itself, or dotnet), or null (see <see cref="RelayProblem"/>).</summary>
    public string? RelayFileName { get; }

    /// <summary>Arguments before the verb (the relay.dll path when run through dotnet).</summary>
    public IReadOnlyList<string> RelayPrefixArguments { get; }

    /// <summary>Why relay children cannot be started, or null.</summary>
    public string? RelayProblem { get; }

    /// <summary>The relay command as one line (for reports and the {relay} placeholder).</summary>
    public string RelayCommandLine => RelayFileName is null ? "(none)" : string.Join(' ', [RelayFileName, .. RelayPrefixArguments]);

    public string? PeerCommand { get; }

    public TimeSpan StartTimeout { get; }

    /// <summary>Visualisers a live-output path sends to: the sink and <c>Visualisers - 1</c> <see cref="ExtraVisualisers"/>.</summary>
    public int Visualisers { get; }

    /// <summary>The udpfwd binary, found or built on first use, or null (see <see cref="BaselineProblem"/>).</summary>
    public string? BaselineBinary => _baseline.Value.Path;

    public string? BaselineProblem => _baseline.Value.Problem;

    /// <summary>Runs `relay ARGS...` as a child.</summary>
    public ChildProcess StartRelay(params string[] arguments) => StartRelay(environment: null, arguments);

    /// <summary>A relay child with <paramref name="arguments"/>, its environment changed by <paramref name="environment"/> (null values remove).</summary>
    public ChildProcess StartRelay(IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        if (RelayFileName is null)
        {
            throw new InvalidOperationException(RelayProblem);
        }

        return ChildProcess.Start(RelayFileName, [.. RelayPrefixArguments, .. arguments], environment, RelayLabel(arguments));
    }

    /// <summary>"relay" and the verbs that start <paramref name="arguments"/> ("relay tunnel serve"), for the report.</summary>
    internal static string RelayLabel(IReadOnlyList<string> arguments)
    {
        var label = "relay";
        for (var i = 0; i < arguments.Count && i < 2 && IsVerb(arguments[i]); i++)
        {
            label += " " + arguments[i];
        }

        return label;

        static bool IsVerb(string word) => word.Length > 0 && word.AsSpan().IndexOfAnyExceptInRange('a', 'z') < 0;
    }

    internal static (string? FileName, IReadOnlyList<string> Prefix, string? Problem) ResolveRelay(string? explicitPath)
    {
        if (explicitPath is not null)
        {
            if (!File.Exists(explicitPath))
            {
                return (null, [], $"--relay-bin {explicitPath} does not exist");
            }

            var full = Path.GetFullPath(explicitPath);
            return full.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? (DotnetHost(), [full], null) : (full, [], null);
        }

        // Native AOT (or the apphost): this process is the relay.
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "relay")
        {
            return (self, [], null);
        }

        // Run through dotnet (or hosted, e.g. by a test runner): the relay.dll beside this code.
        var dll = Path.Combine(AppContext.BaseDirectory, "relay.dll");
        if (File.Exists(dll) && File.Exists(Path.Combine(AppContext.BaseDirectory, "relay.runtimeconfig.json")))
        {
            return (DotnetHost(), [dll], null);
        }

        return (null, [], $"cannot find the relay binary to start children (looked at {self} and {dll}); pass --relay-bin PATH");
    }

    private static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        var self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    private (string? Path, string? Problem) ResolveBaseline()
    {
        if (_baselineOverride is not null)
        {
            return File.Exists(_baselineOverride)
                ? (Path.GetFullPath(_baselineOverride), null)
                : (null, $"--baseline-bin {_baselineOverride} does not exist");
        }

        var places = new List<string> { AppContext.BaseDirectory };
        if (RelayFileName is not null && RelayPrefixArguments.Count == 0 && Path.GetDirectoryName(RelayFileName) is { } relayDir)
        {
            places.Add(relayDir);
        }

        foreach (var dir in places)
        {
            var candidate = Path.Combine(dir, "udpfwd");
            if (File.Exists(candidate))
            {
                return (candidate, null);
            }
        }

        // A source checkout: bench/baseline/build.sh compiles it with gcc (once; it skips when up to date).
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var script = Path.Combine(dir.FullName, "bench", "baseline", "build.sh");
                if (File.Exists(script))
                {
                    return Build(script);
                }
            }
        }

        return (null, "the C baseline (udpfwd) was not found next to the relay or in a source checkout; build it with bench/baseline/build.sh and pass --baseline-bin PATH");
    }

    private static (string? Path, string? Problem) Build(string script)
    {
        try
        {
            var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(script);
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
            {
                process.Kill(entireProcessTree: true);
                return (null, $"{script} did not finish within 120 s");
            }

            var output = stdout.GetAwaiter().GetResult().Trim();
            var path = output.Split('\n')[^1].Trim();
            return process.ExitCode == 0 && File.Exists(path)
                ? (path, null)
                : (null, $"{script} failed (exit {process.ExitCode}): {stderr.GetAwaiter().GetResult().Trim()}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (null, $"could not run {script}: {ex.Message}");
        }
    }
}
