using System.Net;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Classic.Internal;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Tunneling.Internal;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tunneling;

/// <summary>
/// <c>relay tunnel connect</c>: the tunnel client next to the user. Listens on local SCP and boot ports like
/// <c>relay client</c> (each application its own flow, and so its own tunnel channel); keeps one tunnel to the
/// server, reconnecting with backoff and resuming the session, so nothing reliable is lost or repeated across drops.
/// </summary>
/// <remarks>Threading: start and dispose from any thread, once.</remarks>
public sealed class TunnelPortal : IAsyncDisposable
{
    private const string Component = "tunnel-connect";

    private readonly UdpEventLoop _loop;
    private readonly TunnelClient _client;
    private readonly UdpToTunnelRoute _scp;
    private readonly UdpToTunnelRoute _boot;
    private readonly UdpSocket _liveSender;
    private readonly List<UdpToTunnelRoute> _inputs;
    private readonly LiveOutputFanOut[] _live;
    private int _disposed;

    private TunnelPortal(UdpEventLoop loop, TunnelClient client, UdpToTunnelRoute scp, UdpToTunnelRoute boot, UdpSocket liveSender, LiveOutputFanOut[] live,
        List<UdpToTunnelRoute> inputs)
    {
        _inputs = inputs;
        _liveSender = liveSender;
        _live = live;
        _loop = loop;
        _client = client;
        _scp = scp;
        _boot = boot;
    }

    /// <summary>The local SCP port (point tools here).</summary>
    public IPEndPoint ScpEndPoint => _scp.ListenEndPoint;

    /// <summary>The local boot port.</summary>
    public IPEndPoint BootEndPoint => _boot.ListenEndPoint;

    /// <summary>The tunnel client (session, reconnect counters).</summary>
    public TunnelClient Client => _client;

    /// <summary>Counters of the local SCP port (applications, packets each way, drops).</summary>
    public RouteCounters ScpCounters => _scp.GetCounters();

    /// <summary>Times the local SCP port stopped being read because the tunnel's replay buffer was full.</summary>
    internal long ScpListenerPauses => _scp.ListenerPauses;

    /// <summary>Counters of the local boot port.</summary>
    public RouteCounters BootCounters => _boot.GetCounters();

    /// <summary>The local live-input ports, in the order of <see cref="TunnelConnectOptions.LiveInputs"/>.</summary>
    public IReadOnlyList<IPEndPoint> LiveInputEndPoints => [.. _inputs.Select(i => i.ListenEndPoint)];

    /// <summary>Live-output datagrams sent to visualisers (each copy counts).</summary>
    public long LiveOutputForwarded => _live.Sum(l => l.Forwarded);

    /// <summary>Binds the local ports and starts connecting (in the background, with backoff).</summary>
    /// <exception cref="ArgumentException">Invalid tunnel options.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">A local port cannot be bound.</exception>
    public static TunnelPortal Start(TunnelConnectOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tunnelOptions = options.Tunnel;
        tunnelOptions.ThrowIfInvalid();
        var client = new TunnelClient(tunnelOptions, options.Connector);
        var loop = new UdpEventLoop(new UdpEventLoopOptions
        {
            Name = $"{Component}-udp",
            SlotSize = 4096,
            ErrorSink = new UdpErrorLog(Component),
        });
        var listen = new UdpSocketOptions { ErrorSink = new UdpErrorLog(Component) };
        UdpToTunnelRoute? scp = null;
        var inputs = new List<UdpToTunnelRoute>();
        var liveSender = new UdpSocket(new IPEndPoint(options.Bind, 0), listen with { Name = $"{Component} live output" });
        try
        {
            var live = OpenLiveOutputs(options, client.Session, liveSender);
            scp = new UdpToTunnelRoute(Settings(options, "scp", options.ScpPort), loop, listen, client.Session, TunnelChannelKind.Scp);
            var boot = new UdpToTunnelRoute(Settings(options, "boot", options.BootPort), loop, listen, client.Session, TunnelChannelKind.Boot);
            foreach (var input in options.LiveInputs)
            {
                inputs.Add(new UdpToTunnelRoute(Settings(options, "input", input.LocalPort, input.BoardPort), loop, listen, client.Session,
                    TunnelChannelKind.EieioInput, new TunnelTarget(null, (ushort)input.BoardPort)));
            }

            scp.Start();
            boot.Start();
            foreach (var input in inputs)
            {
                input.Start();
                Log.Info(Component, $"live input on UDP {input.ListenEndPoint} -> board port {input.TargetEndPoint.Port}");
            }

            client.Start();
            if (Log.IsEnabled(LogLevel.Info))
            {
                Log.Info(Component, $"SCP on UDP {scp.ListenEndPoint}, boot on UDP {boot.ListenEndPoint}, through the tunnel to {Log.Escape(options.ServerLabel)}");
            }

            return new TunnelPortal(loop, client, scp, boot, liveSender, live, inputs);
        }
        catch
        {
            loop.Dispose();
            liveSender.Dispose();
            scp?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            foreach (var input in inputs)
            {
                input.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            client.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Stops the local ports and the tunnel. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _loop.Dispose();
        await _scp.DisposeAsync().ConfigureAwait(false);
        await _boot.DisposeAsync().ConfigureAwait(false);
        foreach (var input in _inputs)
        {
            await input.DisposeAsync().ConfigureAwait(false);
        }

        await _client.DisposeAsync().ConfigureAwait(false);
        _liveSender.Dispose();
        Log.Info(Component, $"stopped: scp {_scp.GetCounters().Describe()}; boot {_boot.GetCounters().Describe()}");
    }

    private static LiveOutputFanOut[] OpenLiveOutputs(TunnelConnectOptions options, TunnelSession session, UdpSocket sender)
    {
        var live = new LiveOutputFanOut[options.LiveOutputs.Count];
        for (var i = 0; i < live.Length; i++)
        {
            var route = options.LiveOutputs[i];
            live[i] = new LiveOutputFanOut(sender, route.Visualisers.Map(UdpAddress.FromIPEndPoint), route.Tag, Component);
            session.OpenChannel(TunnelChannelKind.EieioOutput, new TunnelTarget(null, (ushort)route.Tag), live[i]);
            if (Log.IsEnabled(LogLevel.Info))
            {
                Log.Info(Component, $"live output of IP tag {route.Tag} -> {string.Join(", ", route.Visualisers)}");
            }
        }

        return live;
    }

    /// <summary>A local port's route settings; <paramref name="boardPort"/> is, for live input, the board port its channels name (else 0).</summary>
    private static RouteSettings Settings(TunnelConnectOptions o, string name, int port, int boardPort = 0) => new(
        Name: name,
        Component: $"{Component}/{name}",
        Listen: new IPEndPoint(o.Bind, port),
        Target: new IPEndPoint(IPAddress.Any, boardPort),
        TargetLabel: $"the tunnel to {Log.Escape(o.ServerLabel)} ({name} channel per application{(boardPort > 0 ? $", to board port {boardPort}" : "")})",
        Allow: PeerAllowList.Anyone,
        MaxFlows: o.MaxFlows,
        IdleTimeout: o.FlowIdleTimeout,
        MaxFrameLength: 0,
        OutboxBytes: 0,
        MinFrameGap: TimeSpan.Zero,
        ReconnectDelayMax: TimeSpan.Zero);
}
