using System.Text;
using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;

namespace FastSpinnRelay.Relay.Tests.Bench;

/// <summary>
/// The bench's two text parsers, <c>--peer-cmd</c> templates (<see cref="PortPlaceholders"/>) and /proc/PID/stat lines
/// (<see cref="ProcessCpu.TryParseStat"/>), on truncated, oversized and random input: never an exception, and a
/// refusal always says why.
/// </summary>
public class BenchParserFuzzTests
{
    private static readonly Dictionary<string, string> Values = PortPlaceholdersTests.Values;

    private const string GoodTemplate = "socat UDP4-LISTEN:{listen_port},bind={listen_addr} UDP4:{target_addr}:{target_port} & {relay} x {{y}} {tunnel_port}";

    private const string GoodStat = "4242 (relay) S 17 4242 4242 0 -1 4194560 120 0 0 0 345 67 0 0 20 0 3 0 100 0 0";

    [Fact]
    public void Every_prefix_of_a_template_is_filled_or_refused_with_a_reason()
    {
        for (var length = 0; length <= GoodTemplate.Length; length++)
        {
            AssertFilledOrNamed(GoodTemplate[..length]);
        }
    }

    [Fact]
    public void An_oversized_template_is_filled_whole()
    {
        var template = new StringBuilder().Insert(0, "{listen_port} {{x}} ", 50_000).ToString(); // 1 MB
        Assert.True(PortPlaceholders.TrySubstitute(template, Values, out var result, out var error), error);
        Assert.Equal(new StringBuilder().Insert(0, "40001 {x} ", 50_000).ToString(), result);
    }

    [Fact]
    public void Random_templates_are_filled_or_refused_with_a_reason()
    {
        const string alphabet = "{}{}_ abcdeilnoprstu:";
        var random = new Random(1313);
        for (var i = 0; i < 20_000; i++)
        {
            var chars = new char[random.Next(0, 40)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = alphabet[random.Next(alphabet.Length)];
            }

            // Every so often a real placeholder, so substitution succeeds too and is checked.
            var template = random.Next(4) == 0 ? new string(chars) + "{" + PortPlaceholders.Names[random.Next(PortPlaceholders.Names.Count)] + "}" : new string(chars);
            AssertFilledOrNamed(template);
        }
    }

    [Fact]
    public void Every_prefix_of_a_stat_line_parses_or_is_refused()
    {
        for (var length = 0; length <= GoodStat.Length; length++)
        {
            var ok = ProcessCpu.TryParseStat(GoodStat[..length], out var parent, out var user, out var system);
            if (ok)
            {
                Assert.Equal(17, parent);
                Assert.True(user >= 0 && system >= 0);
            }
        }

        Assert.True(ProcessCpu.TryParseStat(GoodStat, out _, out _, out _));
    }

    [Fact]
    public void Oversized_and_random_stat_lines_never_throw()
    {
        // A command name as long as the kernel ever gives, and fields far larger than a long.
        Assert.False(ProcessCpu.TryParseStat("1 (" + new string('x', 100_000) + ") S 1 2 3 4 5 6 7 8 9 10 99999999999999999999999 1", out _, out _, out _));
        Assert.True(ProcessCpu.TryParseStat("1 (" + new string(')', 1000) + ") S 1 2 3 4 5 6 7 8 9 10 11 12 13", out _, out var user, out var system));
        Assert.Equal((11L, 12L), (user, system));

        const string alphabet = "0123456789 ()-SR";
        var random = new Random(1717);
        for (var i = 0; i < 20_000; i++)
        {
            var chars = new char[random.Next(0, 80)];
            for (var j = 0; j < chars.Length; j++)
            {
                chars[j] = alphabet[random.Next(alphabet.Length)];
            }

            if (ProcessCpu.TryParseStat(new string(chars), out var parent, out var u, out var s))
            {
                Assert.True(parent >= 0 && u >= 0 && s >= 0, new string(chars)); // NumberStyles.None: no sign
            }
        }
    }

    /// <summary>Substitution succeeds and leaves no placeholder, or fails with the error <see cref="PortPlaceholders.Check"/> gives.</summary>
    private static void AssertFilledOrNamed(string template)
    {
        if (PortPlaceholders.TrySubstitute(template, Values, out var result, out var error))
        {
            Assert.Null(error);
            Assert.Null(PortPlaceholders.Check(template));
            foreach (var name in PortPlaceholders.Names)
            {
                Assert.DoesNotContain("{" + name + "}", result.Replace("{{", "", StringComparison.Ordinal), StringComparison.Ordinal);
            }
        }
        else
        {
            Assert.False(string.IsNullOrWhiteSpace(error), template);
            Assert.Equal(error, PortPlaceholders.Check(template));
        }
    }
}
