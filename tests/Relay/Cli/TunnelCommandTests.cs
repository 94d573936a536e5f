using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tests.Cli;

public class TunnelCommandTests
{
    [Fact]
    public void Keygen_prints_a_key_the_tunnel_accepts()
    {
        var output = new StringWriter();

        Assert.Equal((int)ExitCode.Ok, TunnelCommand.Keygen(null, output));

        Assert.True(TunnelKey.TryParse(output.ToString(), out _), output.ToString());
    }

    [Fact]
    public void Keygen_writes_an_owner_only_file_and_never_overwrites_one()
    {
        string path = Path.Combine(Path.GetTempPath(), $"relay-key-{Guid.NewGuid():N}");
        try
        {
            Assert.Equal((int)ExitCode.Ok, TunnelCommand.Keygen(new FileInfo(path), TextWriter.Null));
            Assert.True(TunnelKey.TryParse(File.ReadAllText(path), out _));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            string before = File.ReadAllText(path);
            // Since main's 7a288c1 a refused write is a RelayToolException (one line + its exit code), not a return value.
            var refused = Assert.Throws<RelayToolException>(() => TunnelCommand.Keygen(new FileInfo(path), TextWriter.Null));
            Assert.Equal(ExitCode.Usage, refused.Code);
            Assert.Equal(before, File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Info_reports_lz4_and_its_saving()
    {
        var output = new StringWriter();

        Assert.Equal((int)ExitCode.Ok, TunnelCommand.Info(output));

        Assert.Contains("FSRT version 1", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("liblz4: 1.", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("saved", output.ToString(), StringComparison.Ordinal);
    }
}
