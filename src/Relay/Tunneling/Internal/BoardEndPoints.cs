using System.Net;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tunneling.Internal;

/// <summary>
/// Where <c>relay tunnel serve</c>'s board is: its SCP and boot endpoints, one address. Replaced whole when a reload
/// finds the board's name at another address (<see cref="BoardChannelAcceptor.MoveBoardAsync"/>), so a channel opened
/// meanwhile never pairs the old SCP address with the new boot one.
/// </summary>
internal sealed record BoardEndPoints(IPEndPoint Scp, IPEndPoint Boot)
{
    /// <summary>
    /// Where a channel of <paramref name="channel"/>'s kind sends: SCP and boot to the board's ports, live input to the
    /// port it names on the board (a reverse IP tag's); null for any other kind or target (refused).
    /// </summary>
    public IPEndPoint? For(TunnelChannel channel) => channel.Kind switch
    {
        TunnelChannelKind.Scp => Scp,
        TunnelChannelKind.Boot => Boot,
        TunnelChannelKind.EieioInput when channel.Target is { Address: null, Port: > 0 } => new IPEndPoint(Scp.Address, channel.Target.Port),
        _ => null,
    };
}
