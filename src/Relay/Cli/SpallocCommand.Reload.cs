using System.Diagnostics.CodeAnalysis;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Spalloc.Server;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// <c>relay spalloc serve</c> reads its configuration again on SIGHUP (<c>systemctl reload relay-spalloc</c>): as a
/// start reads it, with the flags it started with. A file that a start would refuse changes nothing (one error line
/// per problem, as a start prints them); a good one is applied by <see cref="SpallocServer.Reload"/> and logged in one
/// line, with a warning for each change that needs a restart.
/// </summary>
public static partial class SpallocCommand
{
    /// <summary>
    /// Reads <paramref name="path"/> and puts the flags' settings (listen address, base path, TLS files, state file) in
    /// it, checking both as a start does. On failure <paramref name="problems"/> has the lines a start prints: the
    /// file's problems prefixed with its path, then the flags'.
    /// </summary>
    internal static bool TryReadConfig(string path, SpallocServerOptions flags, [NotNullWhen(true)] out SpallocConfig? config, out IReadOnlyList<string> problems)
    {
        config = null;
        if (!SpallocConfigReader.TryRead(path, out var read, out var fileProblems))
        {
            problems = [.. fileProblems.Select(p => $"{path}: {p}")];
            return false;
        }

        var withFlags = read! with
        {
            Server = read.Server with
            {
                Listen = flags.Listen,
                BasePath = flags.BasePath,
                TlsCertificatePath = flags.TlsCertificatePath,
                TlsKeyPath = flags.TlsKeyPath,
                StateFilePath = flags.StateFilePath,
            },
        };
        problems = withFlags.Server.GetProblems();
        if (problems.Count > 0)
        {
            return false;
        }

        config = withFlags;
        return true;
    }

    /// <summary>
    /// Reloads <paramref name="path"/> into <paramref name="server"/> once, logging the outcome and counting it in
    /// <paramref name="counters"/>. True when the file was applied (perhaps with nothing to change).
    /// </summary>
    internal static bool Reload(SpallocServer server, string path, SpallocServerOptions flags, ReloadCounters counters)
    {
        if (!TryReadConfig(path, flags, out var config, out var problems))
        {
            counters.CountRefused();
            foreach (var problem in problems)
            {
                Log.Error(Component, $"reload refused, still serving the configuration read before: {problem}");
            }

            return false;
        }

        var result = server.Reload(config);
        foreach (var change in result.Changes.NeedRestart)
        {
            Log.Warn(Component, $"reload: {change} takes a restart; the server keeps the old value until then");
        }

        counters.CountApplied();
        Log.Info(Component, $"reloaded {path}: {result}");
        return true;
    }
}
