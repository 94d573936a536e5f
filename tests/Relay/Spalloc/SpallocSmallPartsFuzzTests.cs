using System.Text;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Spalloc.Server.Internal;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>
/// The two small text parsers of the service: ISO-8601 durations (a job request's keepalive-interval, from any
/// client) and stored token hashes (the configuration file), cut at every character, oversized, and 100,000 seeded
/// random and mutated texts each: a value in range or a refusal (with a reason, for hashes), never an exception.
/// </summary>
public class SpallocSmallPartsFuzzTests
{
    private static readonly string[] Durations = ["PT120S", "PT2M", "PT1H30M", "P1DT1S", "PT0.5S", "pt45s", "P10675199D"];
    private static readonly string Hash = TokenHash.Create("secret", TokenHash.MinIterations);

    [Fact]
    public void Durations_cut_oversized_or_random_are_in_range_or_refused()
    {
        foreach (string text in Durations)
        {
            for (int length = 0; length <= text.Length; length++)
            {
                CheckDuration(text[..length]);
            }
        }

        foreach (string text in new[] { "P" + new string('9', 62) + "D", "PT" + new string('9', 400) + "S", "P" + new string('1', 100_000) + "D", "PT1e308S", "PT.S", "PT1..5S" })
        {
            Assert.False(IsoDuration.TryParse(text, out _), text);
        }

        int parsed = 0;
        FuzzInputs.Run(seed: 8601, [.. Durations.Select(Encoding.UTF8.GetBytes)], maxRandomLength: 40, input => parsed += CheckDuration(Encoding.UTF8.GetString(input)) ? 1 : 0);
        Assert.InRange(parsed, 1000, FuzzInputs.Count);
    }

    [Fact]
    public void Stored_hashes_cut_oversized_or_random_parse_or_give_a_reason()
    {
        for (int length = 0; length < Hash.Length; length++)
        {
            Assert.False(CheckHash(Hash[..length]));
        }

        Assert.True(CheckHash(Hash));
        foreach (string text in new[] { Hash + "$x", Hash.Replace("$10000$", "$99999999999999999999$", StringComparison.Ordinal), Hash + new string('A', 100_000), new string('$', 100_000) })
        {
            Assert.False(CheckHash(text));
        }

        int parsed = 0;
        FuzzInputs.Run(seed: 2898, [Encoding.UTF8.GetBytes(Hash)], maxRandomLength: 120, input => parsed += CheckHash(Encoding.UTF8.GetString(input)) ? 1 : 0);
        Assert.InRange(parsed, 100, FuzzInputs.Count);
    }

    private static bool CheckDuration(string text)
    {
        if (!IsoDuration.TryParse(text, out TimeSpan value))
        {
            return false;
        }

        Assert.InRange(value, TimeSpan.Zero, TimeSpan.MaxValue / 2);
        return true;
    }

    private static bool CheckHash(string text)
    {
        bool parsed = TokenHash.TryParse(text, out var hash, out string? problem);
        Assert.Equal(parsed, hash is not null);
        Assert.Equal(parsed, problem is null);
        if (parsed)
        {
            Assert.InRange(hash!.Iterations, TokenHash.MinIterations, TokenHash.MaxIterations);
        }

        return parsed;
    }
}
