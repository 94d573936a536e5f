using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastSpinnRelay.Relay.Bench;

/// <summary>
/// Fills the placeholders of a command template (<c>--peer-cmd</c>) with the bench's addresses and ports, and
/// picks free loopback ports. Placeholders:
/// <list type="table">
/// <item><term>{listen_addr}</term><description>where the peer must listen: 127.0.0.1</description></item>
/// <item><term>{listen_port}</term><description>the UDP port the bench sends its traffic to (free, picked by the bench)</description></item>
/// <item><term>{target_addr}</term><description>where the peer must forward to: 127.0.0.1</description></item>
/// <item><term>{target_port}</term><description>the UDP port of the bench's sink or responder ("the board")</description></item>
/// <item><term>{tunnel_port}</term><description>a second free port, for peers made of a server and a client that talk over their own link</description></item>
/// <item><term>{relay}</term><description>the command that runs this relay binary (e.g. <c>/usr/local/bin/relay</c> or <c>dotnet /path/relay.dll</c>)</description></item>
/// </list>
/// <c>{{</c> and <c>}}</c> stand for literal braces.
/// </summary>
public static class PortPlaceholders
{
    /// <summary>Every placeholder name <see cref="TrySubstitute"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["listen_addr", "listen_port", "target_addr", "target_port", "tunnel_port", "relay"];

    /// <summary>
    /// Replaces every <c>{name}</c> with its value. Returns false with <paramref name="error"/> naming the first
    /// unknown or unclosed placeholder.
    /// </summary>
    public static bool TrySubstitute(string template, IReadOnlyDictionary<string, string> values, out string result, out string? error)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        var sb = new StringBuilder(template.Length + 32);
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                sb.Append(c);
                i++;
                continue;
            }

            if (c == '}')
            {
                return Fail($"a '}}' at position {i + 1} closes no placeholder (write '}}}}' for a literal brace)", out result, out error);
            }

            if (c != '{')
            {
                sb.Append(c);
                continue;
            }

            var close = template.IndexOf('}', i + 1);
            if (close < 0)
            {
                return Fail($"the '{{' at position {i + 1} is not closed (write '{{{{' for a literal brace)", out result, out error);
            }

            var name = template[(i + 1)..close];
            if (!values.TryGetValue(name, out var value))
            {
                return Fail($"unknown placeholder {{{name}}}; known: {string.Join(' ', Names.Select(n => "{" + n + "}"))}", out result, out error);
            }

            sb.Append(value);
            i = close;
        }

        result = sb.ToString();
        error = null;
        return true;
    }

    /// <summary>Checks a template against the known names with dummy values; null when it is fine.</summary>
    public static string? Check(string template)
    {
        var dummy = Names.ToDictionary(n => n, _ => "1");
        return TrySubstitute(template, dummy, out _, out var error) ? null : error;
    }

    /// <summary>
    /// Picks <paramref name="count"/> distinct free loopback ports, each free for both UDP and TCP at the moment of
    /// the call (bound to port 0, read, released). Another process could take one before the child binds it; the
    /// bench then reports that the path failed to start.
    /// </summary>
    public static int[] PickFreePorts(int count)
    {
        var held = new List<Socket>();
        var ports = new List<int>();
        try
        {
            for (var attempts = 0; ports.Count < count && attempts < count * 20; attempts++)
            {
                var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                held.Add(udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                var port = ((IPEndPoint)udp.LocalEndPoint!).Port;
                var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                held.Add(tcp);
                try
                {
                    tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                }
                catch (SocketException)
                {
                    continue;
                }

                ports.Add(port);
            }
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }

        if (ports.Count < count)
        {
            throw new InvalidOperationException($"could not find {count} free loopback port(s)");
        }

        return [.. ports];
    }

    private static bool Fail(string message, out string result, out string? error)
    {
        result = "";
        error = message;
        return false;
    }
}
