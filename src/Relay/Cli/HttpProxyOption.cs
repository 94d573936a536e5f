using System.CommandLine;
using System.CommandLine.Parsing;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// <c>--http-proxy URL|none</c>, as <c>relay tunnel connect</c> and the <c>relay spalloc</c> client verbs take it
/// (<see cref="HttpProxyChoice"/>), and what the tunnel makes of the route it gives.
/// </summary>
internal static class HttpProxyOption
{
    /// <summary>The option, for a verb that reaches <paramref name="what"/>, by default through the proxy <paramref name="variables"/> name.</summary>
    public static Option<HttpProxyChoice?> Create(string what, string variables) => new(HttpProxyChoice.OptionName)
    {
        Description = $"The HTTP proxy to reach {what} through: http://[USER:PASSWORD@]HOST[:PORT] (port default 80), or none to go " +
                      $"direct. [default: the environment's, as .NET's HttpClient reads curl's variables: {variables}, unless no_proxy " +
                      "lists the host; loopback addresses always direct]",
        HelpName = "URL|none",
        CustomParser = Parse,
    };

    /// <summary>
    /// The proxy <c>tunnel connect</c> reaches its server through on <paramref name="route"/>, or null (direct). Only
    /// http:// proxies: an environment that names another kind stops it here (exit code 2), naming the variable.
    /// </summary>
    public static TunnelHttpProxy? ForTunnel(HttpProxyRoute route)
    {
        if (route.Proxy is not { } proxy)
        {
            return null;
        }

        if (proxy.Scheme != Uri.UriSchemeHttp)
        {
            throw new RelayToolException(ExitCode.Usage, $"{route.Reason} names the proxy {Log.Escape(proxy.Scheme, 20)}://{route.DescribeProxy()}, and " +
                $"relay tunnel connect goes through http:// proxies only (HTTP CONNECT): set {HttpProxyChoice.OptionName} http://HOST:PORT, or " +
                $"{HttpProxyChoice.OptionName} none to connect directly");
        }

        var credentials = route.Credentials is { UserName.Length: > 0 } given ? given : null;
        string? user = credentials is null ? null
            : string.IsNullOrEmpty(credentials.Domain) ? credentials.UserName : $"{credentials.Domain}\\{credentials.UserName}";
        try
        {
            return new TunnelHttpProxy(proxy.IdnHost.Trim('[', ']'), proxy.Port, user, credentials?.Password);
        }
        catch (Exception e) when (e is ArgumentException or UriFormatException)
        {
            throw new RelayToolException(ExitCode.Usage, $"the HTTP proxy from {route.Reason}: {e.Message}");
        }
    }

    private static HttpProxyChoice? Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (HttpProxyChoice.TryParse(text, out var choice, out var problem))
        {
            return choice;
        }

        result.AddError($"'{Log.Escape(HttpProxyChoice.Redact(text.Trim()), 80)}' is not a proxy for {HttpProxyChoice.OptionName}: {problem} " +
            "(example: http://proxy.example.org:3128, or none)");
        return null;
    }
}
