using System.CommandLine;
using System.Text;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Relay.Cli;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// Every value-taking option of every verb, given seeded random, mutated, cut and oversized values (durations,
/// endpoints, CIDRs, sizes, lists, URLs, numbers): parsing never throws, and each error the value adds is one line
/// of bounded length, without control characters, that names the option or the value.
/// </summary>
public class OptionValueFuzzTests
{
    private const int ValuesPerOption = 500;

    /// <summary>Valid values of every kind the options take, for the mutations to start from.</summary>
    private static readonly string[] Samples =
    [
        "250ms", "2s", "5m", "1h", "100us", "0", "17893", "65535", "1024", "1,64,1024", "10.0.0.0/8", "192.168.1.7", "2001:db8::/32",
        "127.0.0.1:17893", "[::1]:9000", "0.0.0.0", "::", "1=127.0.0.1:17895,127.0.0.1:17896", "12345=12345", "17900=0,0",
        "https://spalloc.example.org/spalloc/", "http://127.0.0.1:8080/", "board.example", "tunnel", "direct", "1,2,0", "alice",
        "/tmp/file.json",
    ];

    public static TheoryData<string> Verbs => [.. Commands(RelayCommandLine.Build(), "").Select(c => c.Path)];

    [Theory]
    [MemberData(nameof(Verbs))]
    public void Random_option_values_are_named_one_line_errors_never_exceptions(string verb)
    {
        RootCommand root = RelayCommandLine.Build(); // as RelayCommandLine.Parse, built once: parsing does not change it
        Command command = Commands(root, "").Single(c => c.Path == verb).Command;
        string[] path = verb.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] arguments = [.. command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0).Select(_ => "x")];
        var options = command.Options.Where(o => o.Arity.MaximumNumberOfValues > 0 && o.ValueType != typeof(bool) && !o.Hidden).ToList();
        Assert.True(options.Count > 0 || command.Options.All(o => o.Arity.MaximumNumberOfValues == 0), verb);
        byte[][] samples = [.. Samples.Select(Encoding.UTF8.GetBytes)];

        for (int i = 0; i < options.Count; i++)
        {
            Option option = options[i];
            string name = option.Name;
            HashSet<string> baseline = [.. Errors(root, [.. path, .. arguments])];

            // --spike-to resolves a host name while parsing: random names would be DNS lookups (HostPortTextTests has its cases).
            int count = name == "--spike-to" ? 0 : ValuesPerOption;
            FuzzInputs.Run(seed: 1000 + i, samples, maxRandomLength: 64, count, input =>
            {
                string value = Encoding.UTF8.GetString(input).Replace("\0", "", StringComparison.Ordinal); // argv cannot hold a NUL
                foreach (string error in Errors(root, [.. path, .. arguments, name, value]).Where(e => !baseline.Contains(e)))
                {
                    AssertNamed(error, name, value);
                }
            });

            foreach (string value in Oversized())
            {
                foreach (string error in Errors(root, [.. path, .. arguments, name, value]).Where(e => !baseline.Contains(e)))
                {
                    AssertNamed(error, name, value);
                }
            }
        }
    }

    /// <summary>Values far beyond any legal one: huge numbers, long text, many list items.</summary>
    private static IEnumerable<string> Oversized() =>
    [
        "99999999999999999999999999999999", "1e308h", "1e309", "-1", "9223372036854775808us", "4294967296", "65536", "2147483648",
        new string('9', 5000), new string('a', 100_000), string.Join(",", Enumerable.Repeat("127.0.0.1:1", 10_000)),
        "1=" + string.Join(",", Enumerable.Repeat("127.0.0.1:17895", 5000)), "10.0.0.0/4294967296", "[::1]:99999999999",
        "http://" + new string('h', 70_000) + "/",
    ];

    private static void AssertNamed(string error, string option, string value)
    {
        string shown = $"error for {option} {Describe(value)}: {Describe(error)}";
        Assert.False(error.Any(char.IsControl), shown);
        Assert.True(error.Length <= RelayCommandLine.MaxErrorLineLength + 8, shown); // the cut may fall in an escape
        bool namesValue = value.Trim().Length > 0 && error.Contains(Prefix(value.Trim()), StringComparison.Ordinal);
        Assert.True(error.Contains(option, StringComparison.Ordinal) || namesValue, shown);
    }

    /// <summary>The start of the value as an escaping error message would show it (control characters differ).</summary>
    private static string Prefix(string value)
    {
        int end = 0;
        while (end < value.Length && end < 20 && !char.IsControl(value[end]) && !char.IsSurrogate(value[end]))
        {
            end++;
        }

        return value[..end];
    }

    private static string Describe(string text) => text.Length > 120 ? $"'{text[..120]}…' ({text.Length} chars)" : $"'{text}'";

    private static IEnumerable<string> Errors(RootCommand root, string[] args)
    {
        ParseResult parse = root.Parse(args, RelayCommandLine.ParserConfiguration);
        return parse.Errors.Select(e => RelayCommandLine.ErrorLine(e.Message)); // as printed
    }

    private static IEnumerable<(string Path, Command Command)> Commands(Command command, string path)
    {
        foreach (Command sub in command.Subcommands.Where(s => !s.Hidden))
        {
            string subPath = (path + " " + sub.Name).Trim();
            if (sub.Subcommands.Count == 0 || sub.Options.Count > 0)
            {
                yield return (subPath, sub);
            }

            foreach (var nested in Commands(sub, subPath))
            {
                yield return nested;
            }
        }
    }
}
