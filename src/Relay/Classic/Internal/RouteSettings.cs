using System.Net;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>
/// What one route needs to know, derived from <see cref="ClassicProxyOptions"/> by the host. A route replaces its copy
/// whole when its target moves (a reload), so a flow opened meanwhile never sees the new address with the old label.
/// </summary>
/// <param name="Name">"scp" or "boot".</param>
/// <param name="Component">Log component, e.g. "server/scp".</param>
/// <param name="Listen">Where to listen (port 0 = any free port).</param>
/// <param name="Target">Where to forward (resolved).</param>
/// <param name="TargetLabel">How logs name the target, e.g. "board spinn-4 (10.0.0.2:17893)".</param>
/// <param name="Allow">Peers allowed in.</param>
/// <param name="MaxFlows">Most flows at once.</param>
/// <param name="IdleTimeout">Flows idle this long are closed (UDP peers; the client's TCP connections).</param>
/// <param name="MaxFrameLength">Largest TCP frame accepted.</param>
/// <param name="OutboxBytes">Bytes of whole frames a TCP connection may have waiting to be written.</param>
/// <param name="MinFrameGap">Server, TCP: smallest gap between datagrams sent to the target (boot pacing).</param>
/// <param name="ReconnectDelayMax">Client, TCP: longest wait between reconnection attempts.</param>
internal sealed record RouteSettings(
    string Name,
    string Component,
    IPEndPoint Listen,
    IPEndPoint Target,
    string TargetLabel,
    PeerAllowList Allow,
    int MaxFlows,
    TimeSpan IdleTimeout,
    int MaxFrameLength,
    int OutboxBytes,
    TimeSpan MinFrameGap,
    TimeSpan ReconnectDelayMax);
