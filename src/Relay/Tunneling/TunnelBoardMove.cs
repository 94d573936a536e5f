using System.Net;

namespace FastSpinnRelay.Relay.Tunneling;

/// <summary>
/// What moving <c>relay tunnel serve</c> to its board's new address did (<see cref="TunnelGateway.MoveBoardAsync(IPAddress)"/>):
/// new channels go to <paramref name="Now"/>; of the channels open then, these many were redirected, kept the old
/// address, or are live output whose IP tag is set on the board at the old one.
/// </summary>
/// <param name="Was">The board's address before.</param>
/// <param name="Now">The board's address from now on.</param>
/// <param name="Redirected">Open SCP, boot and live-input channels whose socket now sends to <paramref name="Now"/>.</param>
/// <param name="Kept">Open channels whose socket cannot reach <paramref name="Now"/> (another address family, or bound to loopback): they keep the old address until they close.</param>
/// <param name="LiveOutputs">Open live-output channels: their IP tags are set on the board at the old address and cannot be moved.</param>
public readonly record struct TunnelBoardMove(IPAddress Was, IPAddress Now, int Redirected, int Kept, int LiveOutputs)
{
    /// <summary>
    /// What became of the open channels, for the reload's line after "board spinn-4 now 10.0.0.7 (was 10.0.0.5): ", e.g.
    /// "new channels go there, 2 open channels redirected, 1 keeps the old address until it closes (...)".
    /// </summary>
    public string Describe()
    {
        var parts = new List<string>(4) { "new channels go there" };
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

        if (LiveOutputs > 0)
        {
            parts.Add((LiveOutputs == 1 ? "1 live-output channel keeps its IP tag" : $"{LiveOutputs} live-output channels keep their IP tags") +
                " on the board at the old address (a tag cannot be moved: restart relay tunnel connect to set it on the new board)");
        }

        if (parts.Count == 1)
        {
            parts.Add("no channel was open");
        }

        return string.Join(", ", parts);
    }
}
