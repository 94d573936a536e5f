using System.Text;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>
/// The allow file of <c>relay tunnel serve --tls-client-allow</c>: what it accepts, that each problem names the file and
/// line, and that no input (truncated, oversized, random, mutated) gets anything but a list or a FormatException.
/// </summary>
public class ClientCertificateAllowListTests
{
    private const string Alice = "3f9a1c0b2d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
    private const string Bob = "8c2d000000000000000000000000000000000000000000000000000000000001";

    /// <summary>Bob's fingerprint as openssl prints it: upper case with colons.</summary>
    private static readonly string BobWithColons =
        string.Join(':', Enumerable.Range(0, 32).Select(i => Bob.Substring(2 * i, 2))).ToUpperInvariant();

    private static readonly string Sample =
        "# users of spinn-4\n" +
        "\n" +
        $"{Alice}  alice\n" +
        $"   {BobWithColons}\tBob Smith (José's lab)   # until June\r\n" +
        "   # an indented comment\n" +
        $"{Carol()}\n";

    [Fact]
    public void Fingerprints_names_comments_blank_lines_and_crlf_are_read()
    {
        var list = new ClientCertificateAllowList();

        list.AddFile(Sample, "/etc/relay/clients");

        Assert.Equal([Alice, Bob, Carol()], list.Entries.Select(e => e.Fingerprint));
        Assert.Equal(["alice", "Bob Smith (José's lab)", null], list.Entries.Select(e => e.Name));
        Assert.Equal(["/etc/relay/clients line 3", "/etc/relay/clients line 4", "/etc/relay/clients line 6"], list.Entries.Select(e => e.Source));
        Assert.Equal(["/etc/relay/clients"], list.Sources);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n")]
    [InlineData("# nobody yet\n")]
    [InlineData("# no client certificates: /etc/relay/tunnel-spinn-4.clients is absent")]
    public void A_file_of_comments_and_blank_lines_lists_no_one(string text)
    {
        var list = new ClientCertificateAllowList();

        list.AddFile(text, "clients");

        Assert.Empty(list.Entries);
        Assert.Equal(["clients"], list.Sources);
    }

    [Theory]
    [InlineData("3f9a  alice", "clients line 2: '3f9a' is not a SHA-256 fingerprint")]
    [InlineData("alice " + Alice, "clients line 2: 'alice' is not a SHA-256 fingerprint")]
    [InlineData(Alice + "x  alice", "clients line 2: '" + Alice + "x' is not a SHA-256 fingerprint")]
    [InlineData(Alice + "  " + "a123456789b123456789c123456789d123456789e123456789f123456789g12345", "clients line 2: the name after the fingerprint is longer than 64 characters")]
    [InlineData(Alice + "  al\u0007ice", "clients line 2: the name after the fingerprint has a character a log line should not carry (U+0007)")]
    [InlineData(Alice + "  al\u202Eice", "clients line 2: the name after the fingerprint has a character a log line should not carry (U+202E)")]
    [InlineData(Alice + "  al\uFFFDice", "clients line 2: the name after the fingerprint is not UTF-8 text")]
    public void A_bad_line_is_named_by_file_and_number_and_nothing_of_the_file_is_kept(string line, string message)
    {
        var list = new ClientCertificateAllowList();

        var e = Assert.Throws<FormatException>(() => list.AddFile($"{Bob} bob\n{line}\n", "clients"));

        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        Assert.Empty(list.Entries);
        Assert.Empty(list.Sources);
    }

    [Fact]
    public void A_certificate_listed_twice_is_refused_naming_both_places()
    {
        var list = new ClientCertificateAllowList();
        var inOneFile = Assert.Throws<FormatException>(() => list.AddFile($"{Alice} alice\n# revoked? no:\n{Alice.ToUpperInvariant()} alice2\n", "a"));
        Assert.Equal("a line 3: certificate 3f9a1c0b2d4e5f60… is listed already (a line 1)", inOneFile.Message);

        list.AddFingerprint(BobWithColons);
        var acrossSources = Assert.Throws<FormatException>(() => list.AddFile($"{Bob}  bob\n", "b"));
        Assert.Equal("b line 1: certificate 8c2d000000000000… is listed already (--tls-client-allow)", acrossSources.Message);
        Assert.Equal([Bob], list.Entries.Select(e => e.Fingerprint));
    }

    [Fact]
    public void A_line_longer_than_the_limit_is_refused_and_a_long_file_of_short_lines_is_read()
    {
        var list = new ClientCertificateAllowList();
        string longLine = Alice + " " + new string('x', ClientCertificateAllowList.MaxLineLength);
        var e = Assert.Throws<FormatException>(() => list.AddFile("# fine\n" + longLine, "huge"));
        Assert.StartsWith("huge line 2: longer than 1024 characters", e.Message, StringComparison.Ordinal);

        var lines = Enumerable.Range(0, 20_000).Select(i => $"{i:x64}  user-{i}");
        list.AddFile(string.Join('\n', lines), "many");
        Assert.Equal(20_000, list.Entries.Count);
        Assert.Equal("user-19999", list.Entries[^1].Name);
    }

    [Fact]
    public void A_fingerprint_on_the_command_line_is_checked_and_kept_without_a_name()
    {
        var list = new ClientCertificateAllowList();

        list.AddFingerprint(Alice.ToUpperInvariant());
        var e = Assert.Throws<FormatException>(() => list.AddFingerprint("3f9a"));

        Assert.Equal(new AllowedClientCertificate(Alice, null, "--tls-client-allow"), Assert.Single(list.Entries));
        Assert.StartsWith("'3f9a' is not a SHA-256 fingerprint", e.Message, StringComparison.Ordinal);
        Assert.Equal(["--tls-client-allow"], list.Sources);
    }

    [Fact]
    public void The_listener_gets_every_fingerprint_and_the_names_there_are()
    {
        var list = new ClientCertificateAllowList();
        list.AddFile(Sample, "clients");
        using var certificate = TunnelCertificates.CreateSelfSigned("relay.test");

        var tls = list.ApplyTo(new TunnelTlsServerOptions { Certificate = certificate });

        Assert.Same(certificate, tls.Certificate);
        Assert.Equal([Alice, Bob, Carol()], tls.AllowedClientCertificates);
        Assert.Equal(new Dictionary<string, string> { [Alice] = "alice", [Bob] = "Bob Smith (José's lab)" }, tls.ClientCertificateNames);
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_gives_a_list_or_a_FormatException_naming_a_line()
    {
        for (int length = 0; length <= Sample.Length; length++)
        {
            AssertListOrLineError(Sample[..length]);
        }
    }

    [Fact]
    public void Random_and_mutated_text_gives_a_list_or_a_FormatException_naming_a_line()
    {
        var random = new Random(20261122);
        byte[] sample = Encoding.UTF8.GetBytes(Sample);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 3000)];
                random.NextBytes(input);
            }
            else
            {
                input = [.. sample];
                for (int flips = 1 + random.Next(4); flips > 0; flips--)
                {
                    input[random.Next(input.Length)] = (byte)random.Next(256);
                }
            }

            AssertListOrLineError(Encoding.UTF8.GetString(input));
        }
    }

    /// <summary>A third user's fingerprint, with no name in the file.</summary>
    private static string Carol() => new('c', 64);

    private static void AssertListOrLineError(string text)
    {
        var list = new ClientCertificateAllowList();
        try
        {
            list.AddFile(text, "fuzz");
            Assert.All(list.Entries, e => Assert.True(TunnelCertificates.TryParseFingerprint(e.Fingerprint, out string? same) && same == e.Fingerprint));
            Assert.All(list.Entries, e => Assert.True(e.Name is null || (e.Name.Length <= ClientCertificateAllowList.MaxNameLength && !e.Name.Contains('#'))));
        }
        catch (FormatException e)
        {
            Assert.Matches(@"^fuzz line [1-9][0-9]*: ", e.Message);
            Assert.Empty(list.Entries);
        }
    }
}
