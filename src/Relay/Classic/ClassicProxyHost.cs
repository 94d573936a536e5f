using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Classic.Internal;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Classic;

/// <summary>
/// A running spinnaker_proxy-compatible relay (<c>relay server</c> / <c>relay client</c>): resolves the target,
/// opens the SCP and boot routes (UDP, or TCP with <c>-T</c> / <c>-t</c>) on one UDP event loop, and tears them
/// down. It only wires; the routes in <c>Internal/</c> do the forwarding.
/// </summary>
/// <remarks>
/// Threading: <see cref="StartAsync"/> and <see cref="DisposeAsync"/> from any thread (once); the rest is
/// read-only and safe everywhere. Shutdown is bounded: the loop stops within its stop timeout and TCP
/// connections are awaited for at most <see cref="ShutdownWait"/>.
/// </remarks>
public sealed class ClassicProxyHost : IAsyncDisposable
{
    /// <summary>Longest wait for TCP connections to finish when shutting down.</summary>
    public static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(3);

    /// <summary>Datagrams up to this size are carried whole (the original reads 4096 bytes).</summary>
    internal const int MaxDatagramBytes = 4096;

    private readonly UdpEventLoop _loop;
    private readonly IHostedRoute[] _routes;
    private int _disposed;

    private ClassicProxyHost(ClassicProxyOptions options, UdpEventLoop loop, IHostedRoute scp, IHostedRoute boot)
    {
        Options = options;
        _loop = loop;
        _routes = [scp, boot];
        Scp = scp;
        Boot = boot;
    }

    public ClassicProxyOptions Options { get; }

    /// <summary>The SCP route: server tunnel port to the board's SCP port, or client SCP port to the server.</summary>
    public IClassicRoute Scp { get; }

    /// <summary>The boot route.</summary>
    public IClassicRoute Boot { get; }

    public IReadOnlyList<IClassicRoute> Routes => _routes;

    /// <summary>Log component of this end ("server" or "client").</summary>
    public string Component => Options.Role == ClassicRole.Server ? "server" : "client";

    /// <summary>
    /// Resolves the target, binds every listening socket, and starts forwarding. In TCP client mode it also
    /// connects to the server once, as the original does.
    /// </summary>
    /// <exception cref="RelayToolException">Invalid options (<see cref="ExitCode.Usage"/>); the target cannot be
    /// resolved or reached, or a port cannot be bound (<see cref="ExitCode.Network"/>). One clear line each.</exception>
    public static async Task<ClassicProxyHost> StartAsync(ClassicProxyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new RelayToolException(ExitCode.Usage, string.Join("; ", problems));
        }

        var target = await ResolveAsync(options, cancellationToken).ConfigureAwait(false);
        var component = options.Role == ClassicRole.Server ? "server" : "client";
        var loop = new UdpEventLoop(new UdpEventLoopOptions
        {
            Name = $"{component}-udp",
            SlotSize = MaxDatagramBytes,
            SpinBeforeSleep = options.SpinBeforeSleep,
            ErrorSink = new UdpErrorLog(component),
        });
        var routes = new List<IHostedRoute>(2);
        try
        {
            var factory = new RouteFactory(options, target, loop, component);
            routes.Add(factory.Create(isBoot: false));
            routes.Add(factory.Create(isBoot: true));
            foreach (var route in routes)
            {
                await route.PrepareAsync(cancellationToken).ConfigureAwait(false);
            }

            foreach (var route in routes)
            {
                route.Start();
            }
        }
        catch
        {
            loop.Dispose();
            foreach (var route in routes)
            {
                await route.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        var host = new ClassicProxyHost(options, loop, routes[0], routes[1]);
        host.LogStart();
        return host;
    }

    /// <summary>
    /// The CLI entry point: starts, logs counters every <see cref="ClassicProxyOptions.StatsInterval"/>, and on
    /// cancellation (Ctrl+C, SIGTERM) shuts down and logs a summary.
    /// </summary>
    /// <returns><see cref="ExitCode.Ok"/> after a requested shutdown: stopping is how a running relay ends.</returns>
    public static async Task<int> RunAsync(ClassicProxyOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        Log.Level = options.Quiet ? LogLevel.Warning : LogLevel.Info;
        if (options.ScpViaTcp || options.BootViaTcp)
        {
            // TCP chain rr1: CPU per datagram 84-119 -> 32-69 µs, p50 97-143 -> 76-103 µs.
            InlineSocketCompletions.Prefer();
        }

        var host = await StartAsync(options, cancellationToken).ConfigureAwait(false);
        await using (host.ConfigureAwait(false))
        {
            await CountersSchedule.LogUntilStoppedAsync(options.StatsInterval, () => host.LogCounters("stats"), cancellationToken).ConfigureAwait(false);
            Log.Info(host.Component, "stopping (signal received)");
        }

        return (int)ExitCode.Ok;
    }

    /// <summary>Logs one line of counters per route at info level, prefixed with <paramref name="when"/>.</summary>
    public void LogCounters(string when)
    {
        foreach (var route in _routes)
        {
            Log.Info(Component, $"{when} {route.Name}: {route.GetCounters().Describe()}");
        }
    }

    /// <summary>Stops forwarding, closes every socket and connection, and logs the final counters. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_loop.Stop())
        {
            Log.Warn(Component, "the UDP loop did not stop in time; closing its sockets anyway");
        }

        foreach (var route in _routes)
        {
            await route.DisposeAsync().ConfigureAwait(false);
        }

        LogCounters("final");
    }

    private static async Task<IPAddress> ResolveAsync(ClassicProxyOptions options, CancellationToken cancellationToken)
    {
        var what = options.Role == ClassicRole.Server ? "board" : "proxy server";
        if (IPAddress.TryParse(options.Target, out var literal))
        {
            return literal;
        }

        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(options.Target, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new RelayToolException(ExitCode.Network, $"cannot resolve the {what} '{Log.Escape(options.Target)}': {e.Message}");
        }

        // The original only speaks IPv4; prefer it, fall back to IPv6.
        return Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? Array.Find(addresses, a => a.AddressFamily == AddressFamily.InterNetworkV6)
            ?? throw new RelayToolException(ExitCode.Network, $"the {what} '{Log.Escape(options.Target)}' has no IPv4 or IPv6 address");
    }

    private void LogStart()
    {
        if (!Log.IsEnabled(LogLevel.Info))
        {
            return;
        }

        foreach (var route in _routes)
        {
            Log.Info(Component, $"{route}");
        }

        var o = Options;
        var allow = o.Role == ClassicRole.Server ? $"allow {(o.Allow.Count == 0 ? "anyone" : string.Join(", ", o.Allow))}; " : "";
        Log.Info(Component, $"{allow}at most {o.MaxFlows} flows per port, idle flows closed after {UdpToUdpRoute.FormatDuration(o.FlowIdleTimeout)}");
        if (o.Role == ClassicRole.Server && o.Allow.Count == 0 && !IPAddress.IsLoopback(o.EffectiveBindAddress))
        {
            Log.Info(Component, "no --allow given: anyone who can reach the tunnel ports can drive the board (as with the original)");
        }
    }
}
