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

        var line = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {LevelName(level)} {component}: {message}";
        lock (Gate)
        {
            Output.WriteLine(line);
            Output.Flush();
        }
    }

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
