using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Bench;

public class PortPlaceholdersTests
{
    /// <summary>A value for every placeholder (also used by <see cref="BenchParserFuzzTests"/>).</summary>
    internal static readonly Dictionary<string, string> Values = new()
    {
        ["listen_addr"] = "127.0.0.1",
        ["listen_port"] = "40001",
        ["target_addr"] = "127.0.0.1",
        ["target_port"] = "40002",
        ["tunnel_port"] = "40003",
        ["relay"] = "/usr/bin/relay",
    };

    [Fact]
    public void Every_placeholder_is_filled()
    {
        Assert.True(PortPlaceholders.TrySubstitute(
            "spinnaker_proxy.py -s {target_addr} --port {target_port} -l {listen_addr}:{listen_port} -x {tunnel_port}; {relay} --version",
            Values, out var result, out var error));
        Assert.Null(error);
        Assert.Equal("spinnaker_proxy.py -s 127.0.0.1 --port 40002 -l 127.0.0.1:40001 -x 40003; /usr/bin/relay --version", result);
    }

    [Fact]
    public void Doubled_braces_are_literal()
    {
        Assert.True(PortPlaceholders.TrySubstitute("awk '{{print}}' {listen_port}", Values, out var result, out _));
        Assert.Equal("awk '{print}' 40001", result);
    }

    [Theory]
    [InlineData("socat {listen_prot}", "unknown placeholder {listen_prot}")]
    [InlineData("socat {listen_port", "is not closed")]
    [InlineData("socat listen_port}", "closes no placeholder")]
    public void Bad_templates_are_named(string template, string expected)
    {
        Assert.False(PortPlaceholders.TrySubstitute(template, Values, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains(expected, PortPlaceholders.Check(template), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_documented_name_is_accepted()
    {
        Assert.Null(PortPlaceholders.Check(string.Join(' ', PortPlaceholders.Names.Select(n => "{" + n + "}"))));
    }

    [Fact]
    public void Free_ports_are_distinct_and_bindable()
    {
        var ports = PortPlaceholders.PickFreePorts(3);
        Assert.Equal(3, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 1, 65535));

        // Free when picked: nothing of this process holds them any more. (Binding one again to prove it would race the
        // suite's parallel port-0 binds, which the kernel may hand the same port.)
        Assert.All(ports, p => Assert.Empty(PortHolders.Of(p, PortHolders.Udp).Intersect(OwnSocketInodes())));
    }

    private static HashSet<long> OwnSocketInodes()
    {
        var inodes = new HashSet<long>();
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
            {
                inodes.Add(long.Parse(target.AsSpan(8, target.Length - 9), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return inodes;
    }

    [Fact]
    public void Proc_stat_lines_parse_even_with_odd_command_names()
    {
        const string stat = "4242 (a) b (c)) S 17 4242 4242 0 -1 4194560 120 0 0 0 345 67 0 0 20 0 3 0 100 0 0";
        Assert.True(ProcessCpu.TryParseStat(stat, out var parent, out var user, out var system));
        Assert.Equal(17, parent);
        Assert.Equal(345, user);
        Assert.Equal(67, system);
        Assert.False(ProcessCpu.TryParseStat("garbage", out _, out _, out _));
        Assert.False(ProcessCpu.TryParseStat("1 (x) S 1 2", out _, out _, out _));
    }

    [Fact]
    public void Cpu_of_this_process_tree_is_readable()
    {
        if (!ProcessCpu.IsAvailable)
        {
            return;
        }

        Assert.True(ProcessCpu.OfTree(Environment.ProcessId).TotalSeconds > 0);
        Assert.Contains(Environment.ProcessId, ProcessCpu.TreeIds(Environment.ProcessId));
    }
}
