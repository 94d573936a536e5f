using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Internal;

/// <summary>
/// Which HTTP proxy the client verbs go through (<c>relay tunnel connect</c>, the <c>relay spalloc</c> client verbs): the
/// one <c>--http-proxy</c> names, none (<c>--http-proxy none</c>), or by default the environment's, read exactly as .NET's
/// HttpClient reads it (<see cref="HttpClient.DefaultProxy"/>: https_proxy, then all_proxy, for https and wss;
/// http_proxy, then all_proxy, for http and ws; lower case before upper case; no_proxy skips the hosts it lists). One
/// rule is added to the environment's: a loopback destination always goes direct, as no proxy elsewhere can reach this
/// machine's loopback (and a user's proxy variables must not send <c>relay bench</c> or a local try through it).
/// </summary>
/// <remarks>
/// It is an <see cref="IWebProxy"/>, so the Spalloc client's HTTP handlers (REST calls and the proxy websocket) take it
/// as it is; the tunnel asks <see cref="Route"/> for its server. Credentials come from the URL's user info, for Basic.
/// </remarks>
internal sealed class HttpProxyChoice : IWebProxy
{
    /// <summary>The option that chooses.</summary>
    public const string OptionName = "--http-proxy";

    private static readonly string[] SecureVariables = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];
    private static readonly string[] PlainVariables = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];

    private readonly IWebProxy? _environment;
    private readonly Func<string, string?> _variable;
    private readonly Uri? _fixed;
    private readonly NetworkCredential? _credentials;

    /// <summary>The environment's proxy <paramref name="environment"/> (as HttpClient.DefaultProxy), whose variables <paramref name="variable"/> reads.</summary>
    internal HttpProxyChoice(IWebProxy environment, Func<string, string?> variable)
    {
        _environment = environment;
        _variable = variable;
    }

    /// <summary>The proxy <paramref name="proxy"/> (null: none), given on the command line.</summary>
    private HttpProxyChoice(Uri? proxy, NetworkCredential? credentials)
    {
        _fixed = proxy;
        _credentials = credentials;
        _variable = static _ => null;
    }

    /// <summary>The default: the environment's proxy, as HttpClient reads it.</summary>
    public static HttpProxyChoice Environment { get; } = new(HttpClient.DefaultProxy, System.Environment.GetEnvironmentVariable);

    /// <summary><c>--http-proxy none</c>: always direct.</summary>
    public static HttpProxyChoice None { get; } = new(proxy: null, credentials: null);

    /// <summary>The credentials for the proxy (Basic), as HttpClient asks for them.</summary>
    public ICredentials? Credentials
    {
        get => _environment is null ? _credentials : _environment.Credentials;
        set => throw new NotSupportedException("the credentials of an HTTP proxy come from its URL");
    }

    /// <summary>
    /// Reads a value of <c>--http-proxy</c>: <c>none</c>, or <c>http://[USER[:PASSWORD]@]HOST[:PORT][/]</c> (http:// may be
    /// left out; user and password percent-encoded as in any URL; without a port, 80: the URL's default, as .NET reads
    /// the variables too). Only http:// proxies: the connection to the proxy is plain TCP, what it carries is not.
    /// <paramref name="problem"/> says what is wrong, without repeating the value.
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out HttpProxyChoice? choice, [NotNullWhen(false)] out string? problem)
    {
        choice = null;
        text = text.Trim();
        if (text.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            choice = None;
            problem = null;
            return true;
        }

        int schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        string scheme = schemeEnd < 0 ? "http" : text[..schemeEnd].ToLowerInvariant();
        problem = scheme switch
        {
            "http" => null,
            "https" => "a proxy reached over TLS (https://) is not supported; give it as http://HOST:PORT (the tunnel's own TLS still runs end to end inside)",
            "socks4" or "socks4a" or "socks5" or "socks5h" => "SOCKS proxies are not supported, only HTTP proxies (http://HOST:PORT) that take CONNECT",
            _ => "it is not an http:// URL",
        };
        if (problem is not null)
        {
            return false;
        }

        if (!Uri.TryCreate(schemeEnd < 0 ? "http://" + text : text, UriKind.Absolute, out var uri) || uri.HostNameType is UriHostNameType.Unknown or UriHostNameType.Basic
            || !TryAsciiHost(uri, out string? host))
        {
            problem = "it is not http://[USER:PASSWORD@]HOST[:PORT]";
            return false;
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || text.EndsWith('?') || text.EndsWith('#'))
        {
            problem = "a proxy URL has no path, query or fragment: http://[USER:PASSWORD@]HOST[:PORT]";
            return false;
        }

        if (uri.Port is < 1 or > 65535)
        {
            problem = "the port is not 1-65535";
            return false;
        }

        NetworkCredential? credentials = null;
        if (uri.UserInfo.Length > 0)
        {
            string userInfo = Uri.UnescapeDataString(uri.UserInfo);
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            string user = colon < 0 ? userInfo : userInfo[..colon];
            if (user.Length == 0 || user.AsSpan().ContainsAnyInRange('\u0000', '\u001f'))
            {
                problem = "the user name is empty or holds control characters";
                return false;
            }

            credentials = new NetworkCredential(user, colon < 0 ? "" : userInfo[(colon + 1)..]);
        }

        choice = new HttpProxyChoice(new UriBuilder(Uri.UriSchemeHttp, host, uri.Port).Uri, credentials);
        return true;
    }

    /// <summary>The URL's host in ASCII (punycode for an international name), or false when it has none or it is not a valid name.</summary>
    private static bool TryAsciiHost(Uri uri, [NotNullWhen(true)] out string? host)
    {
        try
        {
            host = uri.IdnHost;
            return host.Length > 0;
        }
        catch (UriFormatException)
        {
            host = null; // characters that IDNA does not allow in a host name
            return false;
        }
    }

    /// <summary>
    /// <paramref name="text"/> with the password of any user info replaced by ***, for an error line: what a user typed
    /// into <c>--http-proxy</c> (or a variable) is shown back, but never the password.
    /// </summary>
    public static string Redact(string text)
    {
        int start = text.IndexOf("://", StringComparison.Ordinal);
        start = start < 0 ? 0 : start + 3;
        int at = text.LastIndexOf('@');
        int colon = at > start ? text.IndexOf(':', start, at - start) : -1;
        return colon < 0 ? text : string.Concat(text.AsSpan(0, colon + 1), "***", text.AsSpan(at));
    }

    /// <summary>Where a connection to <paramref name="destination"/> goes: through which proxy, with which credentials, and why.</summary>
    public HttpProxyRoute Route(Uri destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (_environment is null)
        {
            return _fixed is null
                ? new HttpProxyRoute(null, null, $"{OptionName} none")
                : new HttpProxyRoute(_fixed, _credentials, OptionName);
        }

        Uri? proxy = _environment.GetProxy(destination);
        if (proxy is null || proxy == destination)
        {
            return new HttpProxyRoute(null, null, null); // no variable names a proxy for this scheme
        }

        if (destination.IsLoopback)
        {
            return new HttpProxyRoute(null, null, $"a loopback address, for which {Variable(destination, proxy)} is not used");
        }

        if (_environment.IsBypassed(destination))
        {
            return new HttpProxyRoute(null, null, $"{(_variable("no_proxy") is null ? "NO_PROXY" : "no_proxy")} lists {Log.Escape(destination.Host, 80)}");
        }

        NetworkCredential? credentials = _environment.Credentials?.GetCredential(proxy, "Basic");
        return new HttpProxyRoute(proxy, credentials, Variable(destination, proxy));
    }

    /// <inheritdoc/>
    public Uri? GetProxy(Uri destination) => Route(destination).Proxy;

    /// <inheritdoc/>
    public bool IsBypassed(Uri host) => Route(host).Proxy is null;

    /// <summary>
    /// The variable <paramref name="proxy"/> came from: of those .NET reads for <paramref name="destination"/>'s scheme,
    /// in its order, the first set that names the proxy's host ("the environment" if none does, which should not happen).
    /// </summary>
    private string Variable(Uri destination, Uri proxy)
    {
        bool secure = destination.Scheme is "https" or "wss";
        foreach (string name in secure ? SecureVariables : PlainVariables)
        {
            if (_variable(name) is { Length: > 0 } value && NamesHost(value, proxy))
            {
                return name;
            }
        }

        return "the environment";
    }

    /// <summary>True when a variable's value ([scheme://][user@]host[:port]) names <paramref name="proxy"/>'s host.</summary>
    private static bool NamesHost(string value, Uri proxy)
    {
        ReadOnlySpan<char> rest = value.AsSpan().Trim();
        int scheme = rest.IndexOf("://", StringComparison.Ordinal);
        rest = scheme < 0 ? rest : rest[(scheme + 3)..];
        int at = rest.LastIndexOf('@');
        rest = at < 0 ? rest : rest[(at + 1)..];
        return rest.StartsWith(proxy.Host, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>
/// Where one connection goes: through <paramref name="Proxy"/> (null: direct) with <paramref name="Credentials"/>;
/// <paramref name="Reason"/> is where the proxy came from (<c>--http-proxy</c>, <c>https_proxy</c>…) or why there is
/// none (<c>--http-proxy none</c>, "no_proxy lists HOST"…), or null when nothing asks for a proxy.
/// </summary>
internal sealed record HttpProxyRoute(Uri? Proxy, NetworkCredential? Credentials, string? Reason)
{
    /// <summary>The proxy as "host:port" and the user, never the password: "proxy.example.org:3128 as user 'alice'".</summary>
    public string DescribeProxy() => Proxy is null ? "no proxy"
        : string.Create(CultureInfo.InvariantCulture, $"{Log.Escape(Proxy.Host, 100)}:{Proxy.Port}")
          + (Credentials is { UserName.Length: > 0 } c ? $" as user '{Log.Escape(c.UserName, 64)}'" : "");
}
