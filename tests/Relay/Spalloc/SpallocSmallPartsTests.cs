using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Spalloc.Server.Internal;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

public class SpallocSmallPartsTests
{
    [Theory]
    [InlineData("PT120S", 120)]
    [InlineData("PT2M", 120)]
    [InlineData("PT1H30M", 5400)]
    [InlineData("P1DT1S", 86_401)]
    [InlineData("P2D", 172_800)]
    [InlineData("PT1H2M3.5S", 3_723.5)]
    [InlineData("PT0.5S", 0.5)]
    [InlineData("pt45s", 45)]
    public void Iso_durations_parse(string text, double seconds)
    {
        Assert.True(IsoDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("120")]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("PT5")]
    [InlineData("PT5X")]
    [InlineData("P5M")]
    [InlineData("PTS")]
    [InlineData("PT1S2")]
    [InlineData("P1DT")]
    [InlineData("PT1M1M")]
    [InlineData("PT1S1H")]
    [InlineData("PT1.5H")]
    [InlineData("P1.5D")]
    [InlineData("PT99999999999999999999999999999999999999999999999999S")]
    public void Bad_iso_durations_are_refused(string? text) => Assert.False(IsoDuration.TryParse(text, out _));

    [Fact]
    public void Token_hashes_match_their_token_only()
    {
        var stored = TokenHash.Create("secret", TokenHash.MinIterations);
        Assert.StartsWith("pbkdf2-sha256$10000$", stored, StringComparison.Ordinal);
        Assert.True(TokenHash.TryParse(stored, out var hash, out _));
        Assert.True(hash.Matches("secret"));
        Assert.False(hash.Matches("secret "));
        Assert.False(hash.Matches(""));
        Assert.NotEqual(stored, TokenHash.Create("secret", TokenHash.MinIterations));   // salted
        Assert.Equal(43, TokenHash.NewToken().Length);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("secret")]
    [InlineData("sha256$1$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$100$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$100000$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$not-base64")]
    public void Malformed_stored_hashes_are_refused_with_a_reason(string? stored)
    {
        Assert.False(TokenHash.TryParse(stored, out _, out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Theory]
    [InlineData(0, 0, 0, 0, 0)]
    [InlineData(0, 0, 1, 8, 4)]
    [InlineData(0, 0, 2, 4, 8)]
    [InlineData(2, 3, 1, 32, 40)]
    public void Triads_and_ethernet_chips_convert_both_ways(int x, int y, int z, int chipX, int chipY)
    {
        Assert.Equal((chipX, chipY), SpallocBoard.EthernetChipOf(x, y, z));
        Assert.True(SpallocBoard.TryTriadOf(chipX, chipY, out var triad));
        Assert.Equal((x, y, z), triad);
    }

    [Fact]
    public void A_chip_that_is_not_an_ethernet_chip_has_no_triad() => Assert.False(SpallocBoard.TryTriadOf(1, 1, out _));
}
