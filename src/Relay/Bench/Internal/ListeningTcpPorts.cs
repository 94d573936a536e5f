using System.Diagnostics;
using System.Globalization;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>
/// Waits for a child to listen on TCP ports, by reading /proc/net/tcp and tcp6 (no connection is made, so the child
/// sees no stray client before the bench's own).
/// </summary>
internal static class ListeningTcpPorts
{
    /// <summary>Polls until every port has a listening socket; false after <paramref name="timeout"/> or once the child exits.</summary>
    public static bool WaitFor(IReadOnlyCollection<int> ports, TimeSpan timeout, ChildProcess child)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && !child.HasExited)
        {
            var listening = Read();
            if (ports.All(listening.Contains))
            {
                return true;
            }

            Thread.Sleep(10);
        }

        return false;
    }

    private static HashSet<int> Read()
    {
        var ports = new HashSet<int>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            try
            {
                foreach (var line in File.ReadLines(file).Skip(1))
                {
                    // "  sl  local_address rem_address   st ...": local "0100007F:1F90", state 0A = LISTEN.
                    var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (fields.Length > 3 && fields[3] == "0A" && fields[1].LastIndexOf(':') is var colon and > 0
                        && int.TryParse(fields[1].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
                    {
                        ports.Add(port);
                    }
                }
            }
            catch (IOException)
            {
                // Not Linux, or no IPv6: nothing listening there as far as we can tell.
            }
        }

        return ports;
    }
}
