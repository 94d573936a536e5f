using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// Parsers for option values; each error names the bad text (escaped and cut, as untrusted text is everywhere) and says
/// what would be accepted.
/// </summary>
public static class ValueParsers
{
    /// <summary>
    /// A duration: a number with a unit (<c>250ms</c>, <c>2s</c>, <c>5m</c>, <c>1h</c>) or a bare number of
    /// <paramref name="bareUnit"/>s.
    /// </summary>
    public static bool TryParseDuration(string text, string bareUnit, out TimeSpan value)
    {
        value = default;
        var s = text.Trim();
        var (digits, unit) = SplitUnit(s);
        if (!double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0 || double.IsInfinity(n))
        {
            return false;
        }

        var ms = (unit.Length == 0 ? bareUnit : unit) switch
        {
            "us" => n / 1000,
            "ms" => n,
            "s" => n * 1000,
            "m" => n * 60_000,
            "h" => n * 3_600_000,
            _ => double.NaN,
        };
        if (double.IsNaN(ms) || ms > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)(ms * TimeSpan.TicksPerMillisecond));
        return true;
    }

    /// <summary>An address or network: <c>10.0.0.0/8</c>, <c>192.168.1.7</c> (one host), <c>::1</c>.</summary>
    public static bool TryParseNetwork(string text, out IPNetwork network)
    {
        var s = text.Trim();
        if (IPNetwork.TryParse(s, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(s, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }

    public static TimeSpan Duration(ArgumentResult result, string bareUnit)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (TryParseDuration(token, bareUnit, out var value))
        {
            return value;
        }

        result.AddError($"'{Log.Escape(token, 40)}' is not a duration for {OptionName(result)} (examples: 250ms, 2s, 5m; a bare number is in {bareUnit})");
        return default;
    }

    /// <summary>
    /// A duration of at most a day, for a schedule or a linger (longer is a slip of the unit): as <see cref="Duration"/>,
    /// plus an error naming the option above a day. Negative durations do not parse at all.
    /// </summary>
    public static TimeSpan DurationUpToADay(ArgumentResult result, string bareUnit)
    {
        var value = Duration(result, bareUnit);
        if (value > TimeSpan.FromDays(1))
        {
            result.AddError($"{OptionName(result)} must be 0 to 24h, not {value}");
        }

        return value;
    }

    /// <summary>
    /// A whole number in <paramref name="min"/>..<paramref name="max"/>; otherwise an error naming the value and the
    /// option (an option's validator cannot do this: reading a value that did not convert throws there).
    /// </summary>
    public static int IntIn(ArgumentResult result, int min, int max)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        result.AddError($"'{Log.Escape(token, 40)}' is not a whole number in {min}..{max} for {OptionName(result)}");
        return min;
    }

    public static IPNetwork[] Networks(ArgumentResult result)
    {
        var list = new List<IPNetwork>();
        foreach (var token in result.Tokens)
        {
            if (TryParseNetwork(token.Value, out var network))
            {
                list.Add(network);
            }
            else
            {
                result.AddError($"'{Log.Escape(token.Value, 80)}' is not an address or CIDR network for {OptionName(result)} (examples: 10.0.0.0/8, 192.168.1.7, 2001:db8::/32)");
            }
        }

        return [.. list];
    }

    public static IPAddress? Address(ArgumentResult result)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (IPAddress.TryParse(token.Trim(), out var address))
        {
            return address;
        }

        result.AddError($"'{Log.Escape(token, 80)}' is not an IP address for {OptionName(result)} (examples: 0.0.0.0, 127.0.0.1, ::)");
        return null;
    }

    private static string OptionName(ArgumentResult result) =>
        result.Parent is OptionResult o ? o.Option.Name : "this option";

    private static (string Digits, string Unit) SplitUnit(string s)
    {
        var i = s.Length;
        while (i > 0 && char.IsAsciiLetter(s[i - 1]))
        {
            i--;
        }

        return (s[..i], s[i..].ToLowerInvariant());
    }
}
