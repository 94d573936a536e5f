using System.Globalization;

namespace FastSpinnRelay.Tests.Shared;

/// <summary>
/// Which sockets hold a UDP port, by kernel inode, read from /proc/net/udp and /proc/net/udp6. "Our socket released
/// the port" is checked as "the inodes that held it before are gone", not by binding the port again: the suite's other
/// tests bind port 0 in parallel and the kernel may hand the freed port to one of them at any moment (seen once in CI
/// as "Address already in use").
/// </summary>
internal static class UdpPortHolders
{
    public static HashSet<long> Of(int port) => PortHolders.Of(port, PortHolders.Udp);

    /// <summary>Fails unless none of <paramref name="before"/> (from <see cref="Of"/> while ours held it) still holds <paramref name="port"/>.</summary>
    public static void AssertReleased(int port, HashSet<long> before)
    {
        Assert.NotEmpty(before);
        var still = Of(port);
        still.IntersectWith(before);
        Assert.True(still.Count == 0, $"UDP port {port} is still held by socket inode(s) {string.Join(", ", still)}");
    }
}

/// <summary>The kernel's socket tables, by local port: which socket inodes have a UDP or TCP port bound.</summary>
internal static class PortHolders
{
    public static readonly string[] Udp = ["/proc/net/udp", "/proc/net/udp6"];

    public static readonly string[] Tcp = ["/proc/net/tcp", "/proc/net/tcp6"];

    /// <summary>
    /// Inodes of the sockets in <paramref name="tables"/> whose local port is <paramref name="port"/>. Sockets no
    /// process owns any more (TCP TIME_WAIT, orphans) show inode 0 and are left out: they are the kernel's, not a binder's.
    /// </summary>
    public static HashSet<long> Of(int port, string[] tables)
    {
        var inodes = new HashSet<long>();
        foreach (var table in tables)
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ..."
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10)
                {
                    continue;
                }

                var local = fields[1];
                var colon = local.LastIndexOf(':');
                if (colon >= 0
                    && int.TryParse(local.AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var bound)
                    && bound == port
                    && long.TryParse(fields[9], NumberStyles.None, CultureInfo.InvariantCulture, out var inode)
                    && inode != 0)
                {
                    inodes.Add(inode);
                }
            }
        }

        return inodes;
    }
}
