using System.Text;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Tunnel.Tests;

/// <summary>The key file's text form against every cut, oversized and seeded random text: a key only for 64 hex digits, never an exception.</summary>
public class TunnelKeyParseTests
{
    private static readonly string Text = TunnelKey.FromBytes([.. Enumerable.Range(0xA0, 32).Select(i => (byte)i)]).Format();

    [Fact]
    public void Every_cut_of_a_key_file_is_not_a_key()
    {
        string file = Text + "\n";
        for (int length = 0; length < Text.Length; length++)
        {
            Assert.False(TunnelKey.TryParse(file.AsSpan(0, length), out TunnelKey? key));
            Assert.Null(key);
        }

        Assert.True(TunnelKey.TryParse(file, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1 << 20)]
    public void A_key_with_more_digits_after_it_is_not_a_key(int extra)
    {
        Assert.False(TunnelKey.TryParse(Text + new string('0', extra), out _));
        Assert.False(TunnelKey.TryParse(Text + "\n" + Text, out _));
    }

    [Fact]
    public void Random_text_is_a_key_exactly_when_it_is_64_hex_digits_between_white_space()
    {
        byte[][] samples = [Encoding.UTF8.GetBytes(Text), Encoding.UTF8.GetBytes($"  {Text}\r\n"), Encoding.UTF8.GetBytes(Text.ToUpperInvariant())];
        int keys = 0;
        FuzzInputs.Run(seed: 64, samples, maxRandomLength: 80, input =>
        {
            string text = Encoding.UTF8.GetString(input);
            bool parsed = TunnelKey.TryParse(text, out TunnelKey? key);

            string trimmed = text.Trim();
            bool expected = trimmed.Length == 64 && trimmed.All(char.IsAsciiHexDigit);
            Assert.Equal(expected, parsed);
            if (parsed)
            {
                keys++;
                Assert.Equal(trimmed.ToLowerInvariant(), key!.Format());
            }
        });

        Assert.InRange(keys, 1000, FuzzInputs.Count);
    }
}
