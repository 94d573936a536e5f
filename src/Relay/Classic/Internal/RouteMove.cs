namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>
/// What pointing a route at its target's new address did with the flows open then
/// (<see cref="IHostedRoute.MoveTargetAsync"/>): new flows go to the new address in any case.
/// </summary>
/// <param name="Redirected">Flows whose socket towards the target now sends to the new address.</param>
/// <param name="Closed">UDP flows whose socket cannot reach it (another address family, bound to loopback), closed: the peer's next datagram opens a flow there.</param>
/// <param name="Kept">TCP connections whose socket cannot reach it: kept as they are (a Python client dies when its connection closes), with the old address, until they close.</param>
/// <param name="Reconnecting">
/// A client's TCP flows (<c>-T</c>/<c>-t</c>): the open connection stays on the old address until it ends (a reload never
/// closes one), and the flow's next connection goes to the new address.
/// </param>
internal readonly record struct RouteMove(int Redirected, int Closed, int Kept, int Reconnecting)
{
    /// <summary>"scp: 2 open flows redirected, 1 closed (...)", or null when the route had no flow open.</summary>
    public string? Describe(string route)
    {
        var parts = new List<string>(4);
        if (Redirected > 0)
        {
            parts.Add(Redirected == 1 ? "1 open flow redirected" : $"{Redirected} open flows redirected");
        }

        if (Closed > 0)
        {
            parts.Add(Closed == 1
                ? "1 open flow closed (its socket cannot reach the new address; the peer's next datagram opens a flow there)"
                : $"{Closed} open flows closed (their sockets cannot reach the new address; each peer's next datagram opens a flow there)");
        }

        if (Kept > 0)
        {
            parts.Add(Kept == 1
                ? "1 TCP connection keeps the old address until it closes (its socket cannot reach the new one)"
                : $"{Kept} TCP connections keep the old address until they close (their sockets cannot reach the new one)");
        }

        if (Reconnecting > 0)
        {
            parts.Add(Reconnecting == 1
                ? "1 TCP flow connects to the new address next time (an open connection is kept until it ends)"
                : $"{Reconnecting} TCP flows connect to the new address next time (open connections are kept until they end)");
        }

        return parts.Count == 0 ? null : $"{route}: {string.Join(", ", parts)}";
    }
}
