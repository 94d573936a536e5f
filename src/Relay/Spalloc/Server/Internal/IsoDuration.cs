using System.Globalization;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>ISO-8601 durations as Java's <c>Duration</c> writes them (<c>PT120S</c>, <c>PT2M</c>, <c>P1DT1H</c>, <c>PT0.5S</c>).</summary>
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

            double? unit = (inTime, c) switch
            {
                (false, 'D') => 86_400,
                (true, 'H') => 3_600,
                (true, 'M') => 60,
                (true, 'S') => 1,
                _ => null,
            };
            if (unit is not { } u)
            {
                return false;
            }

            seconds += n * u;
            any = true;
            start = i + 1;
        }

        if (!any || start != text.Length || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(seconds);
        return true;
    }
}
