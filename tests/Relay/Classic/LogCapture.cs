using System.Collections.Concurrent;
using System.Text;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Tests.Classic;

/// <summary>
/// Keeps the relay's log lines (the last 20,000) so tests can check what was logged. Tests run in parallel, so
/// each looks for lines naming its own peers (every test uses its own ephemeral ports).
/// </summary>
internal sealed class LogCapture : TextWriter
{
    private const int MaxLines = 20_000;
    private static readonly Lazy<LogCapture> Instance = new(() =>
    {
        var capture = new LogCapture();
        Log.Output = capture;
        Log.Level = LogLevel.Info;
        return capture;
    });

    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _pending = new();

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>Routes the relay's log here (once per test run).</summary>
    public static LogCapture Install() => Instance.Value;

    /// <summary>Lines containing every one of <paramref name="parts"/>.</summary>
    public static IReadOnlyList<string> Lines(params string[] parts) =>
        [.. Install()._lines.Where(line => parts.All(p => line.Contains(p, StringComparison.Ordinal)))];

    /// <summary>
    /// Waits (bounded) until a line containing every one of <paramref name="parts"/> has been logged: counters are
    /// updated just before their log lines, so a test that saw a counter move may have to wait for the line.
    /// </summary>
    public static bool WaitFor(params string[] parts) => ClassicTestSupport.WaitUntil(() => Lines(parts).Count > 0);

    // Log writes whole lines under its own lock, so this needs no lock of its own.
    public override void Write(char value)
    {
        if (value == '\n')
        {
            _lines.Enqueue(_pending.ToString());
            _pending.Clear();
            while (_lines.Count > MaxLines && _lines.TryDequeue(out _))
            {
            }
        }
        else if (value != '\r')
        {
            _pending.Append(value);
        }
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? "")
        {
            Write(c);
        }
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        Write('\n');
    }
}
