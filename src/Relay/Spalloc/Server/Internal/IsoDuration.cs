using System.Globalization;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// ISO-8601 durations as Java's <c>Duration</c> writes and reads them (<c>PT120S</c>, <c>PT2M</c>, <c>P1DT1H</c>,
/// <c>PT0.5S</c>): days, then after <c>T</c> hours, minutes and seconds, each at most once and in that order; only
/// seconds may have a fraction; a <c>T</c> must be followed by at least one of them.
/// </summary>
internal static class IsoDuration
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64 || (text[0] != 'P' && text[0] != 'p'))
        {
            return false;
        }

        double seconds = 0;
        var inTime = false;
        var any = false;
        var anyTime = false;
        var lastRank = 0;
        var start = 1;
        for (var i = 1; i < text.Length; i++)
        {
            var c = char.ToUpperInvariant(text[i]);
            if (c == 'T')
            {
                if (inTime || i != start)
                {
                    return false;
                }

                inTime = true;
                start = i + 1;
                continue;
            }

            if (char.IsAsciiDigit(c) || c == '.')
            {
                continue;
            }

            if (!double.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
            {
                return false;
            }

            (double unit, int rank) = (inTime, c) switch
            {
                (false, 'D') => (86_400, 1),
                (true, 'H') => (3_600, 2),
                (true, 'M') => (60, 3),
                (true, 'S') => (1, 4),
                _ => (0, 0),
            };
            if (rank <= lastRank || (rank != 4 && text.AsSpan(start, i - start).Contains('.')))
            {
                return false; // an unknown or repeated designator, one out of order, or a fraction before S
            }

            seconds += n * unit;
            lastRank = rank;
            any = true;
            anyTime |= inTime;
            start = i + 1;
        }

        if (!any || start != text.Length || (inTime && !anyTime) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
