using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Tests.Shared;

/// <summary>
/// Keeps every log line of a tunnel end (<see cref="TunnelOptions.Log"/>), for asserting that a rejection or a close was
/// logged with its reason: each test gives its own ends their own log, so tests running in parallel never see each other's lines.
/// </summary>
internal sealed class TestLog : ITunnelLog
{
    private readonly List<string> _lines = [];

    public bool IsEnabled(TunnelLogLevel level) => true;

    public void Write(TunnelLogLevel level, string message)
    {
        lock (_lines)
        {
            _lines.Add($"{level}: {message}");
        }
    }

    public string[] Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public bool Contains(string text) => Lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    public override string ToString() => string.Join(Environment.NewLine, Lines);
}
