using System.Globalization;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>User and kernel CPU seconds, summed over a process and its descendants (all their threads).</summary>
internal readonly record struct CpuTime(double UserSeconds, double SystemSeconds)
{
    public double TotalSeconds => UserSeconds + SystemSeconds;

    public static CpuTime operator -(CpuTime a, CpuTime b) => new(a.UserSeconds - b.UserSeconds, a.SystemSeconds - b.SystemSeconds);
}

/// <summary>
/// Reads CPU time from /proc/PID/stat (utime, stime: every thread of the process, including exited ones), for a
/// process and every descendant found at the time of the sample, so a child started through a shell or a
/// launcher is counted whole. Resolution: one clock tick (10 ms on Linux: USER_HZ is 100 on every architecture).
/// </summary>
internal static class ProcessCpu
{
    private const double TicksPerSecond = 100;

    public static bool IsAvailable => OperatingSystem.IsLinux() && File.Exists("/proc/self/stat");

    /// <summary>CPU of <paramref name="pid"/> and its descendants; zero when /proc is not there or the process is gone.</summary>
    public static CpuTime OfTree(int pid)
    {
        long userTicks = 0, systemTicks = 0;
        foreach (var (_, user, system) in Tree(pid))
        {
            userTicks += user;
            systemTicks += system;
        }

        return new CpuTime(userTicks / TicksPerSecond, systemTicks / TicksPerSecond);
    }

    /// <summary>The process ids of <paramref name="pid"/> and its descendants, as of now (empty without /proc).</summary>
    public static IReadOnlyList<int> TreeIds(int pid)
    {
        var tree = Tree(pid);
        var ids = new int[tree.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = tree[i].Pid;
        }

        return ids;
    }

    private static List<(int Pid, long User, long System)> Tree(int pid)
    {
        if (!IsAvailable)
        {
            return [];
        }

        var tree = new HashSet<int> { pid };
        var parents = new List<(int Pid, int Parent, long User, long System)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                && TryRead(p, out var parent, out var user, out var system))
            {
                parents.Add((p, parent, user, system));
            }
        }

        // Grow the tree until no new descendant appears (bounded by the process count).
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var (p, parent, _, _) in parents)
            {
                if (tree.Contains(parent) && tree.Add(p))
                {
                    changed = true;
                }
            }
        }

        // Plain loops, not LINQ, over value tuples: each LINQ iterator over a struct is compiled anew for every
        // other struct type it might meet, which costs native AOT about a megabyte across the binary.
        var members = new List<(int Pid, long User, long System)>(tree.Count);
        foreach (var (p, _, user, system) in parents)
        {
            if (tree.Contains(p))
            {
                members.Add((p, user, system));
            }
        }

        return members;
    }

    /// <summary>Parses ppid, utime and stime from one /proc/PID/stat; false when it cannot be read.</summary>
    internal static bool TryParseStat(string stat, out int parent, out long user, out long system)
    {
        parent = 0;
        user = system = 0;
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }

        // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime.
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 12
            && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out parent)
            && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out user)
            && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out system);
    }

    private static bool TryRead(int pid, out int parent, out long user, out long system)
    {
        try
        {
            return TryParseStat(File.ReadAllText($"/proc/{pid}/stat"), out parent, out user, out system);
        }
        catch (IOException)
        {
            // The process ended between the listing and the read.
        }
        catch (UnauthorizedAccessException)
        {
        }

        parent = 0;
        user = system = 0;
        return false;
    }
}
