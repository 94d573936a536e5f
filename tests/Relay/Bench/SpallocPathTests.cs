using System.Text;
using FastSpinnRelay.Relay.Bench.Internal;

namespace FastSpinnRelay.Relay.Tests.Bench;

/// <summary>Reading `relay spalloc connect --ports-file` while it may still be half written.</summary>
public class SpallocPathTests
{
    private const string Complete = """
        { "job": "http://127.0.0.1:1/spalloc/srv/spalloc/jobs/1",
          "boards": [ { "x": 0, "y": 0, "address": "127.0.0.1", "scp": "127.0.0.1:40001" } ],
          "boot": "127.0.0.1:40002", "live-output": [], "live-input": [] }
        """;

    [Theory]
    [InlineData(false, 40001)]
    [InlineData(true, 40002)]
    public void The_scp_or_boot_port_is_read_from_a_complete_file(bool viaBoot, int port)
    {
        Assert.True(SpallocPath.TryReadEntry(Encoding.UTF8.GetBytes(Complete), viaBoot, out var entry));
        Assert.Equal(port, entry.Port);
    }

    [Fact]
    public void Every_truncation_of_the_file_is_incomplete_not_an_error()
    {
        var bytes = Encoding.UTF8.GetBytes(Complete);
        for (var length = 0; length < bytes.Length - 1; length++)
        {
            // A prefix may happen to be complete JSON only once the closing brace is in.
            Assert.False(SpallocPath.TryReadEntry(bytes.AsSpan(0, length), viaBoot: false, out _), $"prefix of {length} bytes");
        }
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{ "boards": [], "boot": "127.0.0.1:1" }""")]
    [InlineData("""{ "boards": [ { "scp": "not an address" } ] }""")]
    [InlineData("""{ "boards": [ { "scp": 5 } ] }""")]
    [InlineData("""{ "boards": [ { "scp": "127.0.0.1:0" } ] }""")]
    [InlineData("[1, 2, 3]")]
    [InlineData("\u0000\u0001garbage")]
    public void Other_shapes_are_incomplete_not_an_error(string json)
    {
        Assert.False(SpallocPath.TryReadEntry(Encoding.UTF8.GetBytes(json), viaBoot: false, out _));
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var random = new Random(20261121);
        var buffer = new byte[256];
        for (var i = 0; i < 10_000; i++)
        {
            var length = random.Next(buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, length));
            SpallocPath.TryReadEntry(buffer.AsSpan(0, length), viaBoot: (i & 1) == 0, out _);
        }
    }
}
