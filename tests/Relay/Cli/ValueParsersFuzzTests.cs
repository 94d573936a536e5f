using System.Net;
using System.Text;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// The text parsers behind the flags, called directly: every cut of valid values, values beyond the largest legal
/// one, and 100,000 seeded random and mutated texts each. They return false or a value inside their range; none throws.
/// </summary>
public class ValueParsersFuzzTests
{
    private static readonly string[] Durations = ["250ms", "2s", "5m", "1h", "100us", "1.5h", "0", "30", " 45s "];
    private static readonly string[] Networks = ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32", "::1", "0.0.0.0/0"];
    private static readonly string[] EndPoints = ["127.0.0.1:17893", "[::1]:9000", "0.0.0.0:0", "[fe80::1%2]:1"];

    [Fact]
    public void Every_cut_of_a_valid_value_parses_or_is_refused()
    {
        foreach (string text in Durations.Concat(Networks).Concat(EndPoints))
        {
            for (int length = 0; length <= text.Length; length++)
            {
                Check(text[..length]);
            }
        }
    }

    [Theory]
    [InlineData("1e308h")]
    [InlineData("1e309")]
    [InlineData("99999999999999999999999999h")]
    [InlineData("922337203685477.5807ms")]
    [InlineData("922337203685478ms")]
    [InlineData("10675199.1d")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-0.0001s")]
    public void Durations_beyond_the_largest_are_refused_or_kept_in_range(string text)
    {
        if (ValueParsers.TryParseDuration(text, "s", out TimeSpan value))
        {
            Assert.InRange(value, TimeSpan.Zero, TimeSpan.MaxValue);
        }
    }

    [Fact]
    public void Long_values_are_refused_by_all()
    {
        string[] longOnes = [new string('9', 5000), new string('1', 5000) + "ms", "10.0.0.0/" + new string('3', 1000), new string('a', 100_000),
            "[" + new string(':', 10_000) + "]:1", "127.0.0.1:" + new string('1', 1000)];
        foreach (string text in longOnes)
        {
            Assert.Equal(0, Check(text));
        }
    }

    [Fact]
    public void Random_text_is_parsed_or_refused_never_thrown()
    {
        byte[][] samples = [.. Durations.Concat(Networks).Concat(EndPoints).Select(Encoding.UTF8.GetBytes)];
        int parsed = 0;
        FuzzInputs.Run(seed: 77, samples, maxRandomLength: 48, input => parsed += Check(Encoding.UTF8.GetString(input)));

        Assert.InRange(parsed, 1000, 4 * FuzzInputs.Count);
    }

    /// <summary>Runs every parser on <paramref name="text"/>; how many accepted it.</summary>
    private static int Check(string text)
    {
        int accepted = 0;
        if (ValueParsers.TryParseDuration(text, "s", out TimeSpan duration))
        {
            accepted++;
            Assert.InRange(duration, TimeSpan.Zero, TimeSpan.MaxValue);
        }

        if (ValueParsers.TryParseNetwork(text, out IPNetwork network))
        {
            accepted++;
            Assert.InRange(network.PrefixLength, 0, network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        }

        if (EndPointText.TryParseAddressPort(text, minPort: 1, out IPEndPoint? endPoint))
        {
            accepted++;
            Assert.InRange(endPoint.Port, 1, 65535);
        }

        if (UdpAddress.TryParse(text, out UdpAddress address))
        {
            accepted++;
            Assert.False(address.IsEmpty);
        }

        return accepted;
    }
}
