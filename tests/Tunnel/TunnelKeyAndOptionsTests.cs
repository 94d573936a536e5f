namespace FastSpinnRelay.Tunnel.Tests;

public class TunnelKeyAndOptionsTests
{
    [Fact]
    public void A_key_round_trips_through_its_text_form_and_never_prints_itself()
    {
        TunnelKey key = TunnelKey.Generate();
        string text = key.Format();

        Assert.Equal(64, text.Length);
        Assert.True(TunnelKey.TryParse($"  {text}\n", out TunnelKey? parsed));
        Assert.True(parsed!.Bytes.SequenceEqual(key.Bytes));
        Assert.DoesNotContain(text, key.ToString(), StringComparison.Ordinal);
        Assert.Contains(key.Fingerprint(), key.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("000000000000000000000000000000000000000000000000000000000000000000")]
    public void Anything_but_64_hex_digits_is_not_a_key(string text) => Assert.False(TunnelKey.TryParse(text, out _));

    [Fact]
    public void Validation_reports_every_problem_at_once()
    {
        var options = new TunnelServerOptions
        {
            Key = null,
            MaxBodyLength = 10,
            PingInterval = TimeSpan.FromSeconds(30),
            DeadPeerTimeout = TimeSpan.FromSeconds(30),
            MaxChannels = 0,
            MaxSessions = 0,
        };

        IReadOnlyList<string> problems = options.Validate();
        Assert.Equal(6, problems.Count);
        Assert.Contains(problems, p => p.Contains("MaxBodyLength", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("DeadPeerTimeout", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("Key", StringComparison.Ordinal));
        Assert.Throws<ArgumentException>(options.ThrowIfInvalid);
        Assert.Empty(new TunnelClientOptions().Validate());
    }
}
