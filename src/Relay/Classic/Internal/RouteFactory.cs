using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel.Legacy;

namespace FastSpinnRelay.Relay.Classic.Internal;

/// <summary>Turns <see cref="ClassicProxyOptions"/> into the two routes of a host (the original's port and mode table).</summary>
internal sealed class RouteFactory(ClassicProxyOptions options, IPAddress target, UdpEventLoop loop, string component)
{
    /// <summary>
    /// Per-peer sockets are many, so they get small kernel buffers (256 KiB, not forced); the listening sockets keep
    /// the engine's defaults (4 MiB) to absorb bursts from all peers. Their send slots match a receive batch (64), so
    /// a full batch from the listener leaves in one sendmmsg: with 16 slots it took four (strace: 4 sendmmsg per
    /// recvmmsg on both relays of a chain). The slots are allocated on a flow's first send (128 KiB).
    /// </summary>
    internal static UdpSocketOptions FlowSocketOptions(IUdpErrorSink sink) => new()
    {
        ReceiveBufferBytes = 256 * 1024,
        SendBufferBytes = 256 * 1024,
        ForceBufferSizes = false,
        SendSlots = DatagramBatch.DefaultCapacity,
        ErrorSink = sink,
    };

    /// <summary>
    /// The TCP side of a route: frame limit, boot pacing (server), reconnect back-off (client), and a receive buffer
    /// as large as the peer's outbox, so one full write from the other relay is one read here (8 KiB took 7 boot
    /// frames per read: a read and a send syscall per 7 datagrams).
    /// </summary>
    internal static LegacyStreamOptions StreamOptions(RouteSettings settings) => new()
    {
        MaxFrameLength = settings.MaxFrameLength,
        ReceiveBufferBytes = Math.Max(LegacyStreamOptions.Default.ReceiveBufferBytes, settings.OutboxBytes),
        MinFrameGap = settings.MinFrameGap,
        ReconnectDelayMin = settings.ReconnectDelayMax < TimeSpan.FromMilliseconds(100) ? settings.ReconnectDelayMax : TimeSpan.FromMilliseconds(100),
        ReconnectDelayMax = settings.ReconnectDelayMax,
    };

    /// <summary>How logs name a route's target: "board spinn-4 (10.0.0.2:17893)", or "board 10.0.0.2:17893" for an address.</summary>
    internal static string Label(ClassicProxyOptions options, IPEndPoint target)
    {
        var what = options.Role == ClassicRole.Server ? "board" : "server";
        return IPAddress.TryParse(options.Target, out _) ? $"{what} {target}" : $"{what} {Log.Escape(options.Target)} ({target})";
    }

    public IHostedRoute Create(bool isBoot)
    {
        var server = options.Role == ClassicRole.Server;
        var name = isBoot ? "boot" : "scp";
        var viaTcp = isBoot ? options.BootViaTcp : options.ScpViaTcp;
        var listenPort = server
            ? (isBoot ? options.BootTunnelPort : options.ScpTunnelPort)
            : (isBoot ? options.BootPort : options.ScpPort);
        var targetPort = server
            ? (isBoot ? options.BootPort : options.ScpPort)
            : (isBoot ? options.BootTunnelPort : options.ScpTunnelPort);
        var targetEndPoint = new IPEndPoint(target, targetPort);
        var settings = new RouteSettings(
            name,
            $"{component}/{name}",
            new IPEndPoint(options.EffectiveBindAddress, listenPort),
            targetEndPoint,
            Label(options, targetEndPoint),
            server ? new PeerAllowList(options.Allow) : PeerAllowList.Anyone,
            options.MaxFlows,
            options.FlowIdleTimeout,
            options.MaxFrameLength,
            options.OutboxBytes,
            isBoot ? options.BootMinGap : TimeSpan.Zero,
            options.ReconnectDelayMax);
        var sink = new UdpErrorLog(settings.Component);
        var listenOptions = options.ListenReceiveBufferBytes is { } receiveBuffer
            ? UdpSocketOptions.Default with { ErrorSink = sink, ReceiveBufferBytes = receiveBuffer, ForceBufferSizes = false }
            : UdpSocketOptions.Default with { ErrorSink = sink };

        try
        {
            if (!viaTcp)
            {
                return new UdpToUdpRoute(settings, loop, listenOptions, FlowSocketOptions(sink));
            }

            var streamOptions = StreamOptions(settings);
            return server
                ? new StreamToUdpRoute(settings, loop, streamOptions, FlowSocketOptions(sink))
                : new UdpToStreamRoute(settings, loop, listenOptions, streamOptions);
        }
        catch (SocketException e)
        {
            var transport = viaTcp && server ? "TCP" : "UDP";
            throw new RelayToolException(ExitCode.Network,
                $"cannot listen for {name} on {transport} {settings.Listen}: {e.Message} (another proxy or SpiNNaker tool running?)");
        }
    }
}
