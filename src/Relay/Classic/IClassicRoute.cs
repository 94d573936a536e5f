using System.Net;

namespace FastSpinnRelay.Relay.Classic;

/// <summary>How a route's side talks: plain datagrams, or spinnaker_proxy's length-prefixed TCP stream.</summary>
public enum ClassicTransport
{
    Udp,
    Tcp,
}

/// <summary>
/// One forwarding path of a <see cref="ClassicProxyHost"/>: the SCP or the boot port. It listens on
/// <see cref="ListenEndPoint"/> and forwards to <see cref="TargetEndPoint"/> (server: the board; client: the proxy
/// server), each peer through its own flow so replies reach the peer that asked.
/// </summary>
/// <remarks>Threading: every member is safe from any thread.</remarks>
public interface IClassicRoute
{
    /// <summary>"scp" or "boot".</summary>
    string Name { get; }

    /// <summary>Transport of the listening side.</summary>
    ClassicTransport ListenTransport { get; }

    /// <summary>Transport towards the target.</summary>
    ClassicTransport TargetTransport { get; }

    /// <summary>Where the route listens, with the port the kernel chose when 0 was asked for.</summary>
    IPEndPoint ListenEndPoint { get; }

    /// <summary>Where the route forwards to (the target's address as last resolved, and port): a server's reload moves it when the board's name resolves elsewhere.</summary>
    IPEndPoint TargetEndPoint { get; }

    RouteCounters GetCounters();
}
