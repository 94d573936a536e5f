namespace FastSpinnRelay.Tunnel;

/// <summary>Severity of a tunnel log line.</summary>
public enum TunnelLogLevel
{
    /// <summary>Detail for debugging (every connection step).</summary>
    Debug = 0,

    /// <summary>Normal events: connections, resumes, closes of expected kinds.</summary>
    Info = 1,

    /// <summary>Something went wrong but the tunnel carries on: rejected peers, protocol errors, lost sessions.</summary>
    Warning = 2,

    /// <summary>An unexpected fault.</summary>
    Error = 3,
}

/// <summary>
/// Where the tunnel writes its log lines (the Tunnel library does not depend on the relay's logger). Callers check
/// <see cref="IsEnabled"/> before formatting, so a disabled level costs one call. Implementations must be thread-safe.
/// </summary>
public interface ITunnelLog
{
    bool IsEnabled(TunnelLogLevel level);

    /// <summary>One line; <paramref name="message"/> never contains unescaped peer text.</summary>
    void Write(TunnelLogLevel level, string message);
}

/// <summary>Log helpers.</summary>
public static class TunnelLog
{
    /// <summary>A log that drops everything.</summary>
    public static ITunnelLog None { get; } = new NoLog();

    /// <summary>Makes peer text safe for a log line: bytes outside printable ASCII become \xNN, and it is cut at 120 bytes.</summary>
    public static string Escape(ReadOnlySpan<byte> text)
    {
        var builder = new System.Text.StringBuilder(text.Length + 8);
        foreach (byte b in text[..Math.Min(text.Length, 120)])
        {
            if (b is >= 0x20 and < 0x7F and not (byte)'\\')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary><see cref="Escape(ReadOnlySpan{byte})"/> for text that came as a string (a certificate's subject): its UTF-8 bytes.</summary>
    public static string Escape(string text) => Escape(System.Text.Encoding.UTF8.GetBytes(text ?? ""));

    private sealed class NoLog : ITunnelLog
    {
        public bool IsEnabled(TunnelLogLevel level) => false;

        public void Write(TunnelLogLevel level, string message)
        {
        }
    }
}
