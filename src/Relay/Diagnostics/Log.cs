using System.Diagnostics;

namespace FastSpinnRelay.Relay.Diagnostics;

public enum LogLevel
{
    Debug = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
    None = 4,
}

/// <summary>
/// A small, thread-safe line logger to standard error. Call sites check <see cref="IsEnabled"/> (or use the
/// level helpers, which do) before formatting, so a disabled level costs one comparison.
/// Untrusted text passed to <see cref="Escape"/> never reaches the terminal as control bytes.
/// </summary>
public static class Log
{
    private static readonly Lock Gate = new();

    public static LogLevel Level { get; set; } = LogLevel.Info;

    /// <summary>Where lines go; tests may redirect it.</summary>
    public static TextWriter Output { get; set; } = Console.Error;

    public static bool IsEnabled(LogLevel level) => level >= Level;

    public static void Debug(string component, string message) => Write(LogLevel.Debug, component, message);
    public static void Info(string component, string message) => Write(LogLevel.Info, component, message);
    public static void Warn(string component, string message) => Write(LogLevel.Warning, component, message);
    public static void Error(string component, string message) => Write(LogLevel.Error, component, message);

    /// <summary>Trace-level detail compiled out of release builds.</summary>
    [Conditional("RELAY_TRACE")]
    public static void Trace(string component, string message) => Write(LogLevel.Debug, component, message);

    public static void Write(LogLevel level, string component, string message)
    {
        if (level < Level)
        {
            return;
        }

        var line = Format(level, component, message, ToJournal && ReferenceEquals(Output, Console.Error));
        lock (Gate)
        {
            Output.WriteLine(line);
            Output.Flush();
        }
    }

    /// <summary>
    /// True when standard error is systemd's journal (systemd sets <c>JOURNAL_STREAM</c> to that stream's
    /// <c>device:inode</c>): lines then start with a syslog priority (<c>&lt;4&gt;</c> for a warning), which the journal
    /// files them under (so <c>journalctl -p warning</c> works), and leave the time to the journal.
    /// </summary>
    public static bool ToJournal { get; } = IsJournalStream(Environment.GetEnvironmentVariable("JOURNAL_STREAM"), StandardErrorTarget());

    /// <summary>What starts a line of standard error that reports a failure outside the log (a bad flag): the journal's error priority, or nothing.</summary>
    public static string ErrorPrefix => ToJournal ? "<3>" : "";

    /// <summary>One log line: with the UTC time and level for a terminal or file, with a syslog priority for the journal.</summary>
    internal static string Format(LogLevel level, string component, string message, bool journal) => journal
        ? $"<{Priority(level)}>{component}: {message}"
        : $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {LevelName(level)} {component}: {message}";

    /// <summary>
    /// Whether <paramref name="journalStream"/> (<c>JOURNAL_STREAM</c>, "DEVICE:INODE") names the socket that standard
    /// error is (<paramref name="standardError"/>, the link target of /proc/self/fd/2, "socket:[INODE]"). Only the inode
    /// is compared: /proc does not show the device. A standard error redirected elsewhere (a file, a pipe) keeps the
    /// plain format even under systemd.
    /// </summary>
    internal static bool IsJournalStream(string? journalStream, string? standardError)
    {
        if (journalStream is null || standardError is null)
        {
            return false;
        }

        var colon = journalStream.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !ulong.TryParse(journalStream.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var inode))
        {
            return false;
        }

        return standardError == $"socket:[{inode.ToString(System.Globalization.CultureInfo.InvariantCulture)}]";
    }

    private static string? StandardErrorTarget()
    {
        try
        {
            return OperatingSystem.IsLinux() ? new FileInfo("/proc/self/fd/2").LinkTarget : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The syslog priority of a level (sd-daemon(3)): err 3, warning 4, info 6, debug 7.</summary>
    private static int Priority(LogLevel level) => level switch
    {
        LogLevel.Debug => 7,
        LogLevel.Info => 6,
        LogLevel.Warning => 4,
        _ => 3,
    };

    /// <summary>Makes untrusted text safe for a log line: control bytes become \xNN, length is capped.</summary>
    public static string Escape(ReadOnlySpan<char> text, int maxLength = 200)
    {
        var sb = new System.Text.StringBuilder(Math.Min(text.Length, maxLength) + 8);
        foreach (var c in text)
        {
            if (sb.Length >= maxLength)
            {
                sb.Append('…');
                break;
            }

            if (char.IsControl(c))
            {
                sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Debug => "debug",
        LogLevel.Info => "info ",
        LogLevel.Warning => "warn ",
        _ => "error",
    };
}
