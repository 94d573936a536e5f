using System.Net;

namespace FastSpinnRelay.Relay.Spalloc.Client;

/// <summary>Live input: datagrams to local UDP <see cref="LocalPort"/> go to <see cref="BoardPort"/> on the board at (X, Y) (a reverse IP tag's port).</summary>
public sealed record SpallocLiveInput(int LocalPort, int X, int Y, int BoardPort);

/// <summary>What <see cref="SpallocConnection"/> exposes and how.</summary>
public sealed record SpallocConnectOptions
{
    /// <summary>Local address every local socket binds (default 127.0.0.1, so only this host reaches the boards).</summary>
    public IPAddress Bind { get; init; } = IPAddress.Loopback;

    /// <summary>The boards' SCP port (default 17893; other values only for gateways or emulators that move it).</summary>
    public int BoardScpPort { get; init; } = 17893;

    /// <summary>The root board's boot port (default 54321).</summary>
    public int BoardBootPort { get; init; } = 54321;

    /// <summary>Visualisers that get every live-output datagram (fan-out). Empty: no live output channel unless live input needs one.</summary>
    public IReadOnlyList<IPEndPoint> LiveOutputs { get; init; } = [];

    /// <summary>IP tag (0–7) to point at the live-output channel on every board of the job (IPTAG SET, STRIP + USE_SENDER, by MSG_TO); null: the application sets it.</summary>
    public int? LiveTag { get; init; }

    /// <summary>Local ports forwarded to boards with MSG_TO.</summary>
    public IReadOnlyList<SpallocLiveInput> LiveInputs { get; init; } = [];

    /// <summary>The websocket's limits (call time limit, pings, send queue).</summary>
    public SpallocProxyOptions Proxy { get; init; } = new();

    /// <summary>How often the job is kept alive while connected (default 30 s; spinnman: 60 s for a 120 s job).</summary>
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reconnection attempts after the websocket drops before giving up (default 20: over 2 min; 0: until stopped),
    /// with backoff from <see cref="ReconnectDelay"/> doubling to 8 s.
    /// </summary>
    public int ReconnectAttempts { get; init; } = 20;

    /// <summary>The first reconnection delay (default 0.5 s).</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>
    /// A local application that sends nothing for this long loses its channel (closed on the server, which allows a
    /// limited number per websocket: 64 for `relay spalloc serve`); its next datagram opens a new one. Default 2 min.
    /// </summary>
    public TimeSpan FlowIdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Datagrams held per local application while its channel opens (default 64; more are dropped and counted).</summary>
    public int HeldPerFlow { get; init; } = 64;
}
