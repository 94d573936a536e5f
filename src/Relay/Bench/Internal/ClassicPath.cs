using System.Diagnostics;
using System.Globalization;
using System.Net;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>
/// The spinnaker_proxy-compatible modes as deployed: `relay server` alone (one UDP hop), or `relay client` in front
/// of it (a chain), over UDP or over TCP (-t -T). The bench's sink or responder plays the board on both its SCP
/// and boot ports; streams larger than an SCP datagram (boot-sized) go through the boot tunnel, everything else
/// through the SCP tunnel. With TCP the server's --boot-min-gap is 0 so a boot-tunnel stream is not paced.
/// </summary>
internal sealed class ClassicPath(string name, string description, bool withClient, bool tcp) : BenchPath(name, description)
{
    public override RunningPath Start(BenchEnvironment environment, UdpAddress target, BenchWorkload workload)
    {
        var ports = PortPlaceholders.PickFreePorts(4);
        string P(int port) => port.ToString(CultureInfo.InvariantCulture);
        var viaBoot = workload.Kind == BenchWorkloadKind.Stream && workload.Size > SdpConstants.MaxDatagramLength;
        string[] tcpFlags = tcp ? ["-t", "-T"] : [];

        var server = environment.StartRelay(
        [
            "server", "127.0.0.1", "--scp-port", P(target.Port), "--boot-port", P(target.Port),
            "--scp-tunnel-port", P(ports[0]), "--boot-tunnel-port", P(ports[1]), "--bind", "127.0.0.1", "-q",
            .. tcpFlags, .. (tcp ? new[] { "--boot-min-gap", "0" } : []),
        ]);
        if (!withClient)
        {
            return new RunningPath(new UdpAddress(IPAddress.Loopback, viaBoot ? ports[1] : ports[0]), server);
        }

        try
        {
            // The client connects at once over TCP: wait until the server listens (bounded).
            if (tcp && !WaitForTcpListener([ports[0], ports[1]], environment.StartTimeout, server))
            {
                throw new InvalidOperationException($"{server.CommandLine} did not listen on TCP {ports[0]} and {ports[1]}; its output: {server.RecentOutput()}");
            }

            var client = environment.StartRelay(
            [
                "client", "127.0.0.1", "--scp-port", P(ports[2]), "--boot-port", P(ports[3]),
                "--scp-tunnel-port", P(ports[0]), "--boot-tunnel-port", P(ports[1]), "-q", .. tcpFlags,
            ]);
            return new RunningPath(new UdpAddress(IPAddress.Loopback, viaBoot ? ports[3] : ports[2]), [server, client]);
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Polls /proc/net/tcp (and tcp6) until every port has a listening socket.</summary>
    internal static bool WaitForTcpListener(int[] ports, TimeSpan timeout, ChildProcess server)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && !server.HasExited)
        {
            var listening = ListeningPorts();
            if (ports.All(listening.Contains))
            {
                return true;
            }

            Thread.Sleep(10);
        }

        return false;
    }

    private static HashSet<int> ListeningPorts()
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
