using System.Globalization;

namespace FastSpinnRelay.Relay.Spalloc.Server;

/// <summary>
/// What one <see cref="SpallocServer.Reload"/> did: the changes it found (applied, and those left for a restart) and the
/// access it took away: login sessions forgotten, websockets closed, jobs destroyed (of removed users).
/// </summary>
public sealed record SpallocReloadResult(SpallocConfigChanges Changes, int SessionsEnded, int WebSocketsClosed, IReadOnlyList<int> JobsDestroyed)
{
    /// <summary>
    /// One line for the log: what was applied (<see cref="SpallocConfigChanges.Summary"/>), what access that ended,
    /// and how many changes wait for a restart, e.g. <c>users removed: bob; 1 session(s) ended, 1 websocket(s) closed,
    /// job(s) 4 destroyed</c>.
    /// </summary>
    public override string ToString()
    {
        var line = Changes.Summary();
        var ended = new List<string>();
        if (SessionsEnded > 0)
        {
            ended.Add(string.Create(CultureInfo.InvariantCulture, $"{SessionsEnded} session(s) ended"));
        }

        if (WebSocketsClosed > 0)
        {
            ended.Add(string.Create(CultureInfo.InvariantCulture, $"{WebSocketsClosed} websocket(s) closed"));
        }

        if (JobsDestroyed.Count > 0)
        {
            ended.Add($"job(s) {string.Join(", ", JobsDestroyed.Select(id => id.ToString(CultureInfo.InvariantCulture)))} destroyed");
        }

        if (ended.Count > 0)
        {
            line += "; " + string.Join(", ", ended);
        }

        if (Changes.NeedRestart.Count > 0)
        {
            line += string.Create(CultureInfo.InvariantCulture, $"; {Changes.NeedRestart.Count} change(s) not applied until a restart");
        }

        return line;
    }
}
