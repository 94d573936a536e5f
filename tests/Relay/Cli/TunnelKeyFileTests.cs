using System.Text;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// <c>--key-file</c> as read at start: a key file cut short, grown, endless (/dev/zero) or random is one usage error
/// naming the file, read in bounded time and memory; a real one (with or without its newline) is the key.
/// </summary>
public sealed class TunnelKeyFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"relay-keyfile-{Guid.NewGuid():N}");
    private readonly TunnelKey _key = TunnelKey.Generate();

    [Fact]
    public void A_key_file_as_keygen_writes_it_is_the_key()
    {
        File.WriteAllText(_path, _key.Format() + "\n");
        Assert.True(TunnelWireCommands.ReadKey(new FileInfo(_path)).Bytes.SequenceEqual(_key.Bytes));
    }

    [Fact]
    public void Every_cut_of_a_key_file_is_a_usage_error_naming_the_file()
    {
        string text = _key.Format();
        for (int length = 0; length < text.Length; length++)
        {
            File.WriteAllText(_path, text[..length]);
            AssertNotAKey();
        }
    }

    [Fact]
    public void An_endless_file_is_refused_without_reading_it_all()
    {
        var error = AssertNotAKey(new FileInfo("/dev/zero"));
        Assert.Contains("/dev/zero", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(64 * 1024)]
    [InlineData(1L << 32)]
    public void A_file_larger_than_a_key_file_is_refused_naming_its_size_limit(long length)
    {
        using (var file = File.Create(_path))
        {
            file.Write(Encoding.ASCII.GetBytes(_key.Format()));
            file.SetLength(length); // sparse: nothing of it is written to disk
        }

        string error = AssertNotAKey();
        Assert.True(length <= 1024 || error.Contains("bytes", StringComparison.Ordinal), error);
    }

    [Fact]
    public void Random_file_contents_are_the_key_or_one_usage_error()
    {
        byte[][] samples = [Encoding.ASCII.GetBytes(_key.Format() + "\n"), Encoding.ASCII.GetBytes(" " + _key.Format().ToUpperInvariant() + "\r\n")];
        int keys = 0;
        FuzzInputs.Run(seed: 17, samples, maxRandomLength: 200, count: 400, input =>
        {
            File.WriteAllBytes(_path, input.ToArray());
            try
            {
                TunnelWireCommands.ReadKey(new FileInfo(_path));
                keys++;
            }
            catch (RelayToolException ex)
            {
                Assert.Equal(ExitCode.Usage, ex.Code);
                Assert.Contains(_path, ex.Message, StringComparison.Ordinal);
            }
        });

        Assert.InRange(keys, 1, 400);
    }

    public void Dispose() => File.Delete(_path);

    private string AssertNotAKey(FileInfo? file = null)
    {
        file ??= new FileInfo(_path);
        var error = Assert.Throws<RelayToolException>(() => TunnelWireCommands.ReadKey(file));
        Assert.Equal(ExitCode.Usage, error.Code);
        Assert.Contains(file.FullName, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        return error.Message;
    }
}
