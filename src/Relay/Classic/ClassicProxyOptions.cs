using System.Net;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Classic;

/// <summary>Which end of a spinnaker_proxy pair this relay is.</summary>
public enum ClassicRole
{
    /// <summary>Next to the board: tunnel ports in, board ports out (the original's <c>-s</c>).</summary>
    Server,

    /// <summary>Next to the user: board ports in, the server's tunnel ports out (the original's <c>-c</c>).</summary>
    Client,
}

/// <summary>
/// Settings of a spinnaker_proxy-compatible relay. Names, defaults and ports match the Python original;
/// everything after <see cref="Quiet"/> is what the original lacks. Immutable; <see cref="Validate"/> reports
/// every problem at once.
/// </summary>
/// <remarks>
/// Ports this end listens on may be 0 (the kernel picks one; the bound ports are on <see cref="ClassicProxyHost"/>).
/// Ports this end sends to must be 1-65535.
/// </remarks>
public sealed record ClassicProxyOptions
{
    public const int DefaultScpPort = 17893;
    public const int DefaultBootPort = 54321;
    public const int DefaultScpTunnelPort = 17894;
    public const int DefaultBootTunnelPort = 17895;

    /// <summary>Default <see cref="MaxFrameLength"/>: 64 KiB.</summary>
    public const int DefaultMaxFrameLength = 64 * 1024;

    /// <summary>
    /// Upper bound of <see cref="MaxFrameLength"/>: 64 KiB. A frame becomes one UDP datagram, and no UDP datagram is
    /// larger, so a higher limit would only let a peer make the relay buffer more.
    /// </summary>
    public const int MaxMaxFrameLength = 64 * 1024;

    public required ClassicRole Role { get; init; }

    /// <summary>Server: the board's host name or address. Client: the proxy server's.</summary>
    public required string Target { get; init; }

    /// <summary>Tunnel boot packets over TCP (<c>-t</c>; both ends must agree).</summary>
    public bool BootViaTcp { get; init; }

    /// <summary>Tunnel SCP over TCP (<c>-T</c>; both ends must agree).</summary>
    public bool ScpViaTcp { get; init; }

    /// <summary>The board's SCP port (default 17893); the client listens on it, the server sends to it.</summary>
    public int ScpPort { get; init; } = DefaultScpPort;

    /// <summary>The board's boot port (default 54321); the client listens on it, the server sends to it.</summary>
    public int BootPort { get; init; } = DefaultBootPort;

    /// <summary>Port between client and server for SCP (default 17894); the server listens on it.</summary>
    public int ScpTunnelPort { get; init; } = DefaultScpTunnelPort;

    /// <summary>Port between client and server for boot (default 17895); the server listens on it.</summary>
    public int BootTunnelPort { get; init; } = DefaultBootTunnelPort;

    /// <summary>Only warnings and errors are logged (<c>-q</c>).</summary>
    public bool Quiet { get; init; }

    /// <summary>
    /// Address the listening sockets bind to. Null: the server listens on every interface (as the original does),
    /// the client on loopback only (the original exposed the board to its whole LAN). An IPv6 address listens for
    /// IPv6; <c>::</c> also accepts IPv4.
    /// </summary>
    public IPAddress? BindAddress { get; init; }

    /// <summary>
    /// Server: peers allowed to use the tunnel ports. Empty: everyone (as the original, which has no
    /// authentication: anyone who can reach the ports can drive the board).
    /// </summary>
    public IReadOnlyList<IPNetwork> Allow { get; init; } = [];

    /// <summary>
    /// Largest datagram a TCP peer may announce, in bytes (default and maximum 64 KiB); a larger length prefix
    /// drops that connection. Also the most a connection buffers for one incoming frame.
    /// </summary>
    public int MaxFrameLength { get; init; } = DefaultMaxFrameLength;

    /// <summary>
    /// A peer's flow (its own socket towards the target) is closed after this long without traffic in either
    /// direction (default 5 min, at most 7 days). Applies to UDP peers on both ends and to the client's TCP
    /// connections; the server keeps TCP connections until the peer closes them (TCP keep-alive finds dead ones),
    /// because a Python client dies when its connection is closed.
    /// </summary>
    public TimeSpan FlowIdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Most peers served at once per port (default 256, 1-65536); further peers are refused and counted.</summary>
    public int MaxFlows { get; init; } = 256;

    /// <summary>
    /// Server, boot over TCP: smallest gap between boot packets sent to the board when they arrived together
    /// (default 50 ms, the pacing rig uses; 0 = send as they come; at most 10 s). Packets that arrived further
    /// apart keep their spacing.
    /// </summary>
    public TimeSpan BootMinGap { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Log per-route counters this often (default 0 = never; a summary is always logged at exit).</summary>
    public TimeSpan StatsInterval { get; init; }

    /// <summary>
    /// Client, TCP: longest wait between reconnection attempts (default 5 s, 10 ms to 10 min). The first wait is
    /// 100 ms (or this, if smaller); each failure doubles it, with jitter.
    /// </summary>
    public TimeSpan ReconnectDelayMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// TCP: bytes of whole frames waiting to be written per connection (default 256 KiB, 4 KiB to 16 MiB). When full,
    /// further datagrams for that connection are dropped and counted rather than block the UDP loop. A client also
    /// keeps them here while it reconnects. It plays the part a UDP socket's receive buffer plays on a UDP hop: it
    /// holds what arrives while the writer waits for a core, so it must hold a few batches of boot packets
    /// (64 KiB held 62, less than one batch of 64, and capped a boot stream at about 60 frames per writer wake-up).
    /// </summary>
    public int OutboxBytes { get; init; } = 256 * 1024;

    /// <summary>Default <see cref="SpinBeforeSleep"/>: 100 µs.</summary>
    public static readonly TimeSpan DefaultSpinBeforeSleep = TimeSpan.FromMicroseconds(100);

    /// <summary>
    /// UDP: after handling datagrams, poll for more this long (yielding the core between polls) before the loop
    /// sleeps (default 100 µs, 0 to 1 ms; 0 = sleep at once). A request's reply, or a client's next request, that
    /// arrives meanwhile is read without a sleep and a wake-up, which is most of a hop's latency on a VM. Spinning
    /// backs off by itself when it keeps finding nothing (a paced stream), and an idle relay never spins.
    /// </summary>
    public TimeSpan SpinBeforeSleep { get; init; } = DefaultSpinBeforeSleep;

    /// <summary>
    /// Test seam: SO_RCVBUF for the UDP listening sockets, not forced (null = the engine's 4 MiB), so a test can make
    /// the kernel drop at a listener without sending megabytes.
    /// </summary>
    internal int? ListenReceiveBufferBytes { get; init; }

    /// <summary>
    /// Test seam: how <see cref="Target"/> is resolved, at start and (server) at each reload (null = the system's
    /// resolver), so a test can move a board's name to another address without DNS or /etc/hosts.
    /// </summary>
    internal HostResolver? Resolver { get; init; }

    /// <summary>The address listening sockets actually use.</summary>
    public IPAddress EffectiveBindAddress => BindAddress ?? (Role == ClassicRole.Server ? IPAddress.Any : IPAddress.Loopback);

    /// <summary>Every problem with these settings, each naming the flag; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Target))
        {
            problems.Add(Role == ClassicRole.Server ? "no board given (relay server BOARD)" : "no proxy server given (relay client PROXY_HOST)");
        }

        // This end listens on one pair of ports (0 = any free port) and sends to the other pair (never 0).
        var server = Role == ClassicRole.Server;
        CheckPort(problems, "--scp-port", ScpPort, listening: !server);
        CheckPort(problems, "--boot-port", BootPort, listening: !server);
        CheckPort(problems, "--scp-tunnel-port", ScpTunnelPort, listening: server);
        CheckPort(problems, "--boot-tunnel-port", BootTunnelPort, listening: server);

        // Ports this end listens on must differ when both listeners use the same transport.
        var (scpListen, bootListen, scpName, bootName) = server
            ? (ScpTunnelPort, BootTunnelPort, "--scp-tunnel-port", "--boot-tunnel-port")
            : (ScpPort, BootPort, "--scp-port", "--boot-port");
        var sameTransport = !server || BootViaTcp == ScpViaTcp;
        if (scpListen == bootListen && scpListen != 0 && sameTransport)
        {
            problems.Add($"{scpName} and {bootName} are both {scpListen}; the two listening sockets need different ports");
        }

        if (MaxFrameLength is < 1 or > MaxMaxFrameLength)
        {
            problems.Add($"--max-frame {MaxFrameLength} is outside 1..{MaxMaxFrameLength} bytes");
        }

        if (FlowIdleTimeout <= TimeSpan.Zero || FlowIdleTimeout > TimeSpan.FromDays(7))
        {
            problems.Add($"--flow-idle-timeout {FlowIdleTimeout} is outside (0, 7 days]");
        }

        if (MaxFlows is < 1 or > 65536)
        {
            problems.Add($"--max-flows {MaxFlows} is outside 1..65536");
        }

        if (BootMinGap < TimeSpan.Zero || BootMinGap > TimeSpan.FromSeconds(10))
        {
            problems.Add($"--boot-min-gap {BootMinGap} is outside 0..10 s");
        }

        if (StatsInterval < TimeSpan.Zero || StatsInterval > TimeSpan.FromDays(1))
        {
            problems.Add($"--stats-interval {StatsInterval} is outside 0..1 day");
        }

        if (ReconnectDelayMax < TimeSpan.FromMilliseconds(10) || ReconnectDelayMax > TimeSpan.FromMinutes(10))
        {
            problems.Add($"reconnect delay {ReconnectDelayMax} is outside 10 ms..10 min");
        }

        if (SpinBeforeSleep < TimeSpan.Zero || SpinBeforeSleep > TimeSpan.FromMilliseconds(1))
        {
            problems.Add($"--spin {SpinBeforeSleep.TotalMicroseconds:0.#} µs is outside 0..1000 µs");
        }

        if (OutboxBytes is < 4096 or > 16 * 1024 * 1024)
        {
            problems.Add($"outbox size {OutboxBytes} is outside 4096..16777216 bytes");
        }

        if (Role == ClassicRole.Client && Allow.Count > 0)
        {
            problems.Add("--allow applies to the server; the client listens on --bind (loopback by default)");
        }

        return problems;
    }

    private static void CheckPort(List<string> problems, string flag, int port, bool listening)
    {
        var min = listening ? 0 : 1;
        if (port < min || port > IPEndPoint.MaxPort)
        {
            problems.Add($"{flag} {port} is outside {min}..65535");
        }
    }
}
