using System.Net;

namespace FastSpinnRelay.Relay.Tunneling;

/// <summary>
/// What moving <c>relay tunnel serve</c> to its board's new address did (<see cref="TunnelGateway.MoveBoardAsync(IPAddress)"/>):
/// new channels go to <paramref name="Now"/>; of the channels open then, these many were redirected or kept the old
/// address, and of the live-output channels, these many had their IP tags set on the board at the new address or were
/// closed because it did not take them.
/// </summary>
/// <param name="Was">The board's address before.</param>
/// <param name="Now">The board's address from now on.</param>
/// <param name="Redirected">Open SCP, boot and live-input channels whose socket now sends to <paramref name="Now"/>.</param>
/// <param name="Kept">Open channels whose socket cannot reach <paramref name="Now"/> (another address family, or bound to loopback): they keep the old address until they close.</param>
/// <param name="LiveTagsMoved">Open live-output channels whose IP tag is set on the board at <paramref name="Now"/> (and being cleared at <paramref name="Was"/>): their visualisers keep receiving.</param>
/// <param name="LiveTagsFailed">Open live-output channels closed because the board at <paramref name="Now"/> did not answer or refused their IP tag.</param>
public readonly record struct TunnelBoardMove(IPAddress Was, IPAddress Now, int Redirected, int Kept, int LiveTagsMoved, int LiveTagsFailed)
{
    /// <summary>
    /// What became of the open channels, for the reload's line after "board spinn-4 now 10.0.0.7 (was 10.0.0.5): ", e.g.
    /// "new channels go there, 2 open channels redirected, 1 live-output IP tag set on the new board (...)".
    /// </summary>
    public string Describe()
    {
        var parts = new List<string>(5) { "new channels go there" };
        if (Redirected > 0)
        {
            parts.Add(Redirected == 1 ? "1 open channel redirected" : $"{Redirected} open channels redirected");
        }

        if (Kept > 0)
        {
            parts.Add(Kept == 1
                ? "1 open channel keeps the old address until it closes (its socket cannot reach the new one)"
                : $"{Kept} open channels keep the old address until they close (their sockets cannot reach the new one)");
        }

        if (LiveTagsMoved > 0)
        {
            var (tags, their, are) = LiveTagsMoved == 1 ? ("1 live-output IP tag", "its", "is") : ($"{LiveTagsMoved} live-output IP tags", "their", "are");
            parts.Add($"{tags} set on the new board, {their} visualisers keep receiving (the old board's {are} being cleared)");
        }

        if (LiveTagsFailed > 0)
        {
            var (closed, their, tags, warnings, users, restart) = LiveTagsFailed == 1
                ? ("1 live-output channel", "its", "IP tag", "warning", "user", "restarts")
                : ($"{LiveTagsFailed} live-output channels", "their", "IP tags", "warnings", "users", "restart");
            parts.Add($"{closed} closed (the new board did not answer or refused {their} {tags}: see the {warnings} above; " +
                $"{their} {users} {restart} relay tunnel connect once it answers)");
        }

        if (parts.Count == 1)
        {
            parts.Add("no channel was open");
        }

        return string.Join(", ", parts);
    }
}
