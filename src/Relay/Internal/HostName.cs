using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Internal;

/// <summary>
/// Turns a host name into its addresses: <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/> in the relay,
/// a stand-in in tests (which must not depend on DNS or /etc/hosts).
/// </summary>
internal delegate Task<IPAddress[]> HostResolver(string host, CancellationToken cancellationToken);

/// <summary>
/// A host named on the command line (a board, a proxy server), resolved at start and, for a board, again at each reload
/// (SIGHUP), so a board that DHCP renumbers, or a spare swapped in under the same name, needs no restart. Of its addresses
/// the first IPv4 one is used (boards and the original spinnaker_proxy speak IPv4 only), else the first IPv6 one. A
/// literal address is used as it is: there is nothing to resolve.
/// </summary>
internal sealed class HostName
{
    private readonly HostResolver _resolver;

    /// <param name="text">The name or address as given.</param>
    /// <param name="what">What it names, for messages: "board", "proxy server".</param>
    /// <param name="resolver">The resolver; default <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>.</param>
    public HostName(string text, string what, HostResolver? resolver = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        Text = text;
        What = what;
        Literal = IPAddress.TryParse(text, out var address) ? address : null;
        _resolver = resolver ?? SystemResolver;
    }

    /// <summary>The system's resolver (getaddrinfo: /etc/hosts, DNS, as the host is set up).</summary>
    public static HostResolver SystemResolver { get; } = Dns.GetHostAddressesAsync;

    /// <summary>The name or address as given.</summary>
    public string Text { get; }

    /// <summary>What it names: "board", "proxy server".</summary>
    public string What { get; }

    /// <summary>The address when <see cref="Text"/> is one (nothing to resolve), else null.</summary>
    public IPAddress? Literal { get; }

    /// <summary>How messages name it: "board 'spinn-4'" (escaped: it comes from the command line).</summary>
    public string Description => $"{What} '{Log.Escape(Text)}'";

    /// <summary>The address to use now: the literal, or the name resolved again.</summary>
    /// <exception cref="RelayToolException">
    /// <see cref="ExitCode.Network"/>: the name does not resolve (the message names it and quotes the resolver), or has no
    /// IPv4 or IPv6 address.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IPAddress> ResolveAsync(CancellationToken cancellationToken)
    {
        if (Literal is { } literal)
        {
            return literal;
        }

        IPAddress[] addresses;
        try
        {
            addresses = await _resolver(Text, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            // ArgumentException: not a name the resolver takes at all (longer than 255 characters, for one).
            throw new RelayToolException(ExitCode.Network, $"cannot resolve the {Description}: {Log.Escape(e.Message)}");
        }

        return Prefer(addresses)
            ?? throw new RelayToolException(ExitCode.Network, $"the {Description} has no IPv4 or IPv6 address");
    }

    /// <summary>
    /// For a reload: the address to use from now on, or null when the name no longer resolves, having logged an error
    /// that names it and the resolver's reason (the caller keeps <paramref name="current"/> and counts the reload refused).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (stopping).</exception>
    public async Task<IPAddress?> ResolveAgainAsync(string component, IPAddress current, CancellationToken cancellationToken)
    {
        try
        {
            return await ResolveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RelayToolException e)
        {
            Log.Error(component, $"reload refused for the {What}, still sending to {current}: {e.Message}");
            return null;
        }
    }

    /// <summary>The address a name's <paramref name="addresses"/> stand for here: the first IPv4 one, else the first IPv6 one, else null.</summary>
    public static IPAddress? Prefer(IPAddress[] addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        return Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetworkV6);
    }

    /// <summary>"board spinn-4 now 10.0.0.7 (was 10.0.0.5)", or "board spinn-4 still 10.0.0.5".</summary>
    public string DescribeMove(IPAddress was, IPAddress now) =>
        was.Equals(now) ? $"{What} {Log.Escape(Text)} still {now}" : $"{What} {Log.Escape(Text)} now {now} (was {was})";

    public override string ToString() => Text;
}
