using System.Net;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Tests.Cli;

/// <summary>
/// <c>--http-proxy</c> on <c>tunnel connect</c> and the spalloc client verbs: what it takes, what it refuses (exit code 2,
/// one line naming the option and the value, never the password), and how the choice routes a destination: the
/// option's proxy, none, or the environment's as HttpClient reads it, with the variable named and loopback direct.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class HttpProxyOptionTests
{
    [Theory]
    [InlineData("https://proxy.example.org:3128", "a proxy reached over TLS (https://) is not supported")]
    [InlineData("socks5://127.0.0.1:1080", "SOCKS proxies are not supported")]
    [InlineData("ftp://proxy.example.org", "it is not an http:// URL")]
    [InlineData("http://proxy.example.org:3128/path", "a proxy URL has no path, query or fragment")]
    [InlineData("http://proxy.example.org:3128?x=1", "a proxy URL has no path, query or fragment")]
    [InlineData("http://proxy.example.org:3128/#top", "a proxy URL has no path, query or fragment")]
    [InlineData("http://", "it is not http://[USER:PASSWORD@]HOST[:PORT]")]
    [InlineData("proxy example:3128", "it is not http://[USER:PASSWORD@]HOST[:PORT]")]
    [InlineData("http://proxy.example.org:0", "the port is not 1-65535")]
    [InlineData("http://proxy.example.org:65536", "it is not http://[USER:PASSWORD@]HOST[:PORT]")]
    [InlineData("http://:hunter2@proxy.example.org:3128", "the user name is empty")]
    [InlineData("https://alice:hunter2@proxy.example.org:3128", "a proxy reached over TLS")]
    [InlineData("\u037f\u07d0d.example", "it is not http://[USER:PASSWORD@]HOST[:PORT]")] // found by OptionValueFuzzTests: IdnHost threw
    [InlineData("\ufffd\u061c\ufffd\ufffdC//spalloc.example.org/spalloc/", "it is not http://[USER:PASSWORD@]HOST[:PORT]")]
    [InlineData("http://alice:hunter2@proxy.example.org:3128/x", "a proxy URL has no path")]
    public async Task A_bad_proxy_is_exit_code_2_and_one_line_naming_option_and_value_without_the_password(string value, string problem)
    {
        foreach (string[] args in new[]
        {
            new[] { "tunnel", "connect", "gw.example.org:17896", "-k", "lab.key", "--http-proxy", value },
            ["spalloc", "machines", "--service", "https://spalloc.example.org/spalloc/", "--http-proxy", value],
            ["spalloc", "connect", "7", "--http-proxy", value],
        })
        {
            var (code, lines) = await ConsoleCollection.InvokeCapturingStderr(args);

            Assert.Equal((int)ExitCode.Usage, code);
            string line = Assert.Single(lines, l => l.Contains("--http-proxy:", StringComparison.Ordinal));
            Assert.Contains(problem, line, StringComparison.Ordinal);
            Assert.Contains($"'{HttpProxyChoice.Redact(value)}' is not a proxy for --http-proxy", line, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", string.Join('\n', lines), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("http://proxy.example.org:3128", "http://proxy.example.org:3128/", "proxy.example.org:3128")]
    [InlineData("proxy.example.org:3128", "http://proxy.example.org:3128/", "proxy.example.org:3128")]
    [InlineData("HTTP://Proxy.Example.org/", "http://proxy.example.org/", "proxy.example.org:80")]
    [InlineData("http://alice:p%40ss%3Aw@[::1]:8080", "http://[::1]:8080/", "[::1]:8080 as user 'alice'")]
    [InlineData("http://bob@10.0.0.1:3128", "http://10.0.0.1:3128/", "10.0.0.1:3128 as user 'bob'")]
    public void A_good_proxy_routes_every_destination_through_itself_with_its_credentials(string value, string proxy, string described)
    {
        Assert.True(HttpProxyChoice.TryParse(value, out var choice, out var problem), problem);

        foreach (string destination in new[] { "https://gw.example.org:17896/", "http://127.0.0.1:8080/", "wss://spalloc.example.org/proxy/1" })
        {
            HttpProxyRoute route = choice.Route(new Uri(destination));
            Assert.Equal(proxy, route.Proxy?.AbsoluteUri);
            Assert.Equal("--http-proxy", route.Reason);
            Assert.Equal(described, route.DescribeProxy());
        }

        Assert.False(choice.IsBypassed(new Uri("https://gw.example.org/")));
        if (value.Contains("alice", StringComparison.Ordinal))
        {
            var credential = choice.Credentials!.GetCredential(new Uri(proxy), "Basic")!;
            Assert.Equal(("alice", "p@ss:w"), (credential.UserName, credential.Password));
        }
    }

    [Fact]
    public void None_routes_everything_direct_and_says_so()
    {
        Assert.True(HttpProxyChoice.TryParse(" NONE ", out var choice, out _));

        HttpProxyRoute route = choice.Route(new Uri("https://gw.example.org:17896/"));

        Assert.Equal((null, "--http-proxy none"), (route.Proxy, route.Reason));
        Assert.True(choice.IsBypassed(new Uri("https://gw.example.org/")));
    }

    [Fact]
    public void The_environment_names_the_variable_a_proxy_came_from_in_the_order_dotnet_reads_them()
    {
        var proxy = new Uri("http://proxy.example.org:3128/");
        var variables = new Dictionary<string, string?>
        {
            ["HTTPS_PROXY"] = "http://other.example.org:8080", // lower case first: https_proxy wins
            ["https_proxy"] = "alice:pw@proxy.example.org:3128",
            ["http_proxy"] = "http://proxy.example.org:3128/",
            ["no_proxy"] = ".lab.example.org",
        };
        var choice = new HttpProxyChoice(new FixedProxy(proxy, bypassed: ".lab.example.org"), name => variables.GetValueOrDefault(name));

        Assert.Equal((proxy, "https_proxy"), Route(choice, "https://gw.example.org:17896/"));
        Assert.Equal((proxy, "https_proxy"), Route(choice, "wss://spalloc.example.org/proxy/1"));
        Assert.Equal((proxy, "http_proxy"), Route(choice, "http://spalloc.example.org/spalloc/"));
        Assert.Equal((null, "no_proxy lists board.lab.example.org"), Route(choice, "https://board.lab.example.org:17896/"));
        Assert.Equal((null, "a loopback address, for which https_proxy is not used"), Route(choice, "https://127.0.0.1:17896/"));
        Assert.Equal((null, "a loopback address, for which https_proxy is not used"), Route(choice, "https://localhost:17896/"));
        Assert.Equal((null, "a loopback address, for which https_proxy is not used"), Route(choice, "https://[::1]:17896/"));

        variables.Remove("https_proxy");
        variables.Remove("HTTPS_PROXY");
        variables["ALL_PROXY"] = "proxy.example.org";
        Assert.Equal((proxy, "ALL_PROXY"), Route(choice, "https://gw.example.org:17896/"));

        var nothing = new HttpProxyChoice(new FixedProxy(null, bypassed: null), _ => null);
        Assert.Equal((null, null), Route(nothing, "https://gw.example.org:17896/"));
    }

    [Theory]
    [InlineData("http://alice:hunter2@proxy:3128", "http://alice:***@proxy:3128")]
    [InlineData("alice:hunter2@proxy:3128", "alice:***@proxy:3128")]
    [InlineData("http://a:b:c@d@proxy:3128/x", "http://a:***@proxy:3128/x")]
    [InlineData("http://alice@proxy:3128", "http://alice@proxy:3128")]
    [InlineData("http://proxy:3128", "http://proxy:3128")]
    [InlineData("", "")]
    public void Redact_hides_the_password_of_the_user_info(string text, string shown) =>
        Assert.Equal(shown, HttpProxyChoice.Redact(text));

    private static (Uri? Proxy, string? Reason) Route(HttpProxyChoice choice, string destination)
    {
        HttpProxyRoute route = choice.Route(new Uri(destination));
        return (route.Proxy, route.Reason);
    }

    /// <summary>An environment proxy as HttpClient.DefaultProxy is one: one proxy for all, a suffix it skips.</summary>
    private sealed class FixedProxy(Uri? proxy, string? bypassed) : IWebProxy
    {
        public ICredentials? Credentials { get; set; }

        public Uri? GetProxy(Uri destination) => proxy;

        public bool IsBypassed(Uri host) => proxy is null || (bypassed is not null && host.Host.EndsWith(bypassed, StringComparison.OrdinalIgnoreCase));
    }
}
