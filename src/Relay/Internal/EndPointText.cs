using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Internal;

/// <summary>
/// Reads endpoints typed on the command line. One place for it, so every option that takes ADDR:PORT or
/// HOST:PORT accepts the same spellings; each caller words its own error (it knows the option's name).
/// </summary>
internal static class EndPointText
{
    /// <summary>
    /// ADDR:PORT with a literal address (<c>0.0.0.0:17896</c>, <c>[::1]:9000</c>) and a port of at least
    /// <paramref name="minPort"/> (0 for an address to listen on, 1 for one to send to).
    /// </summary>
    public static bool TryParseAddressPort(string text, int minPort, [NotNullWhen(true)] out IPEndPoint? endPoint)
    {
        if (IPEndPoint.TryParse(text, out var parsed) && text.Contains(':', StringComparison.Ordinal)
            && !text.EndsWith(']') && parsed.Port >= minPort)
        {
            endPoint = parsed;
            return true;
        }

        endPoint = null;
        return false;
    }

    /// <summary>
    /// HOST:PORT where HOST is a literal address or a name resolved now (IPv4 preferred) and PORT is 1..65535.
    /// On failure <paramref name="hostProblem"/> says what was wrong with the host ("host 'x' has no address",
    /// "host 'x' cannot be resolved: …"), or is null when the text is not HOST:PORT at all.
    /// </summary>
    public static bool TryResolveHostPort(string text, [NotNullWhen(true)] out IPEndPoint? endPoint, out string? hostProblem)
    {
        hostProblem = null;
        if (TryParseAddressPort(text, minPort: 1, out endPoint))
        {
            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            return false;
        }

        var host = text[..colon];
        try
        {
            var address = HostName.Prefer(Dns.GetHostAddresses(host));
            if (address is null)
            {
                hostProblem = $"host '{Log.Escape(host, 80)}' has no address";
                return false;
            }

            endPoint = new IPEndPoint(address, port);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            // ArgumentException: not a name the resolver takes at all (longer than 255 characters, for one).
            hostProblem = $"host '{Log.Escape(host, 80)}' cannot be resolved: {ex.Message}";
            return false;
        }
    }
}
