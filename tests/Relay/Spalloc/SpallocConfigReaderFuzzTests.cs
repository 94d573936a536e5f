using System.Text;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>
/// The configuration file of <c>relay spalloc serve</c> cut at every byte, grown past its size limit, nested past the
/// JSON depth limit, and fed 20,000 seeded random and mutated variants of the documented example: it reads, or gives
/// problems that print as one line each; nothing throws.
/// </summary>
public sealed class SpallocConfigReaderFuzzTests : IDisposable
{
    private static readonly string Hash = TokenHash.Create("t", TokenHash.MinIterations);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"relay-config-{Guid.NewGuid():N}.json");

    private static string Example() =>
        File.ReadAllText(Path.Combine(Repository.Root(), "docs", "spalloc-serve.example.json"))
            .Replace("pbkdf2-sha256$100000$REPLACE_WITH_THE_OUTPUT_OF_RELAY_SPALLOC_HASH_TOKEN", Hash, StringComparison.Ordinal);

    [Fact]
    public void Every_cut_of_the_example_is_a_list_of_problems()
    {
        byte[] bytes = Encoding.UTF8.GetBytes(Example());
        int end = Array.LastIndexOf(bytes, (byte)'}') + 1; // what follows is the final newline
        for (int length = 0; length < end; length++)
        {
            bool read = Parse(bytes.AsSpan(0, length));
            Assert.False(read, $"read when cut at {length}");
        }

        Assert.True(Parse(bytes));
    }

    [Fact]
    public void Random_and_mutated_files_read_or_give_one_line_problems()
    {
        byte[] example = Encoding.UTF8.GetBytes(Example());
        int read = 0;
        FuzzInputs.Run(seed: 2026, [example], maxRandomLength: 2048, count: 20_000, input => read += Parse(input) ? 1 : 0);
        Assert.InRange(read, 1, 20_000);
    }

    [Fact]
    public void A_file_above_the_limit_is_refused_unread_naming_its_size()
    {
        using (var file = File.Create(_path))
        {
            file.Write(Encoding.UTF8.GetBytes(Example()));
            file.SetLength(SpallocConfigReader.MaxFileBytes + 1L); // sparse: nothing of it is written to disk
        }

        Assert.False(SpallocConfigReader.TryRead(_path, out var config, out var problems));
        Assert.Null(config);
        Assert.Contains($"{SpallocConfigReader.MaxFileBytes + 1L} bytes is larger than", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_with_no_size_that_never_ends_is_refused_after_the_limit()
    {
        // /dev/zero reports a size of 0: only a bounded read stops it (before: read until memory ran out).
        Assert.False(SpallocConfigReader.TryRead("/dev/zero", out var config, out var problems));
        Assert.Null(config);
        Assert.Equal($"cannot read: it holds more than {SpallocConfigReader.MaxFileBytes} bytes", Assert.Single(problems));
    }

    [Fact]
    public void A_certificate_or_key_path_that_never_ends_is_a_certificate_error()
    {
        var pem = Path.ChangeExtension(_path, ".pem"); // as unique as the test's own file
        File.WriteAllText(pem, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
        try
        {
            foreach (var (cert, key) in new[] { ("/dev/zero", (string?)null), (pem, "/dev/zero") })
            {
                var e = Assert.Throws<SpallocCertificateException>(() => SpallocServer.LoadCertificate(cert, key));
                Assert.Contains("holds more than", e.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(pem);
        }
    }

    [Theory]
    [InlineData(100)]
    [InlineData(100_000)]
    public void Nesting_past_the_json_depth_limit_is_a_problem(int depth)
    {
        string deep = "{\"machine\": {\"boards\": " + new string('[', depth) + new string(']', depth) + "}}";
        Assert.False(Parse(Encoding.UTF8.GetBytes(deep)));
        string unknown = "{\"extra\": " + new string('[', depth) + new string(']', depth) + "}";
        Assert.False(Parse(Encoding.UTF8.GetBytes(unknown)));
    }

    [Fact]
    public void Many_boards_users_and_unknown_keys_are_each_a_problem_without_a_blow_up()
    {
        var json = new StringBuilder("{\"machine\": {\"name\": \"m\", \"boards\": [");
        json.AppendJoin(',', Enumerable.Range(0, 5000).Select(i => $"{{\"triad\": [{i % 256}, {i / 256}, 0], \"address\": \"10.0.{i / 256}.{i % 256}\"}}"));
        json.Append("]}, \"users\": [");
        json.AppendJoin(',', Enumerable.Range(0, 2000).Select(i => $"{{\"name\": \"u\", \"token-hash\": \"{Hash}\", \"k{i}\": 1}}"));
        json.Append("]}");

        Assert.False(SpallocConfigReader.TryParse(json.ToString(), out _, out var problems));
        Assert.Contains(problems, p => p.Contains("is listed twice", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("unknown field", StringComparison.Ordinal));
        Assert.All(problems, AssertOneLine);
    }

    public void Dispose() => File.Delete(_path);

    /// <summary>Parses the bytes as the file reader would (UTF-8, bad bytes replaced); true when it read.</summary>
    private static bool Parse(ReadOnlySpan<byte> bytes)
    {
        bool read = SpallocConfigReader.TryParse(Encoding.UTF8.GetString(bytes), out var config, out var problems);
        Assert.Equal(read, config is not null);
        Assert.Equal(read, problems.Count == 0);
        Assert.All(problems, AssertOneLine);
        return read;
    }

    /// <summary>As `relay spalloc serve` prints it: the reader quotes JSON errors, bad bytes included, so the line escapes them.</summary>
    private static void AssertOneLine(string problem)
    {
        Assert.False(string.IsNullOrWhiteSpace(problem));
        string printed = FastSpinnRelay.Relay.Cli.RelayCommandLine.ErrorLine(problem);
        Assert.False(printed.Any(char.IsControl), printed);
        Assert.True(printed.Length <= FastSpinnRelay.Relay.Cli.RelayCommandLine.MaxErrorLineLength + 8, printed); // the cut may fall in an escape
    }
}
