using System.Net;
using FastSpinnRelay.Relay.Classic.Internal;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Classic;

/// <summary>
/// A running spinnaker_proxy-compatible relay (<c>relay server</c> / <c>relay client</c>): resolves the target,
/// opens the SCP and boot routes (UDP, or TCP with <c>-T</c> / <c>-t</c>) on one UDP event loop, and tears them
/// down. It only wires; the routes in <c>Internal/</c> do the forwarding. On SIGHUP (<see cref="ReloadAsync"/>) a server
/// resolves its board's name again, a client its proxy server's, and the routes follow the target to its new address.
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
    private readonly HostName _target;

    /// <summary>The target's address in force: as resolved at start, then at each reload that found it elsewhere (reloads run one at a time).</summary>
    private IPAddress _targetAddress;
    private int _disposed;

    private ClassicProxyHost(ClassicProxyOptions options, HostName target, IPAddress address, UdpEventLoop loop, IHostedRoute scp, IHostedRoute boot)
    {
        Options = options;
        _target = target;
        _targetAddress = address;
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

    /// <summary>Reloads (SIGHUP) applied and refused: each resolves the target's name again (the board's, the proxy server's).</summary>
    internal ReloadCounters Reloads { get; } = new();

    /// <summary>
    /// Resolves the target, binds every listening socket, and starts forwarding. In TCP client mode it also
    /// connects to the server once, as the original does.
    /// </summary>
    /// <exception cref="RelayToolException">Invalid options (<see cref="ExitCode.Usage"/>); the target cannot be
    /// resolved or reached, or a port cannot be bound (<see cref="ExitCode.Network"/>). One clear line each.</exception>
    public static async Task<ClassicProxyHost> StartAsync(ClassicProxyOptions options, CancellationToken cancellationToken = default)
    {
        var host = await StartQuietlyAsync(options, cancellationToken).ConfigureAwait(false);
        host.LogStart();
        return host;
    }

    /// <summary><see cref="StartAsync"/> without the start lines (the caller logs them when it is ready for a reload).</summary>
    private static async Task<ClassicProxyHost> StartQuietlyAsync(ClassicProxyOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new RelayToolException(ExitCode.Usage, string.Join("; ", problems));
        }

        var name = new HostName(options.Target, options.Role == ClassicRole.Server ? "board" : "proxy server", options.Resolver);
        var target = await name.ResolveAsync(cancellationToken).ConfigureAwait(false);
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

        return new ClassicProxyHost(options, name, target, loop, routes[0], routes[1]);
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

        var host = await StartQuietlyAsync(options, cancellationToken).ConfigureAwait(false);
        var server = options.Role == ClassicRole.Server;

        // SIGHUP (systemctl reload) from now on, instead of its default (ending the process), and before the start lines,
        // so whoever waits for them may send one. Kept until the host is disposed.
        using var hangup = HangupReloads.Start(
            host.Component, server ? "the board's address" : "the proxy server's address", () => host.ReloadAsync(cancellationToken), host.Reloads, cancellationToken);
        await using (host.ConfigureAwait(false))
        {
            host.LogStart();
            await CountersSchedule.LogUntilStoppedAsync(options.StatsInterval, () => host.LogCounters("stats"), cancellationToken).ConfigureAwait(false);
            Log.Info(host.Component, $"stopping (signal received); {host.Reloads}");
            await hangup.Completion.ConfigureAwait(false);
        }

        host.Reloads.RecordExit(host.Component);

        return (int)ExitCode.Ok;
    }

    /// <summary>
    /// What SIGHUP does. It resolves the target's name again, as the start did: a server its board's, a client its proxy
    /// server's. Where the target has moved (DHCP, a spare swapped in under the same name), both routes follow: new flows go
    /// to the new address, and open flows are redirected where their sockets can reach it, and otherwise closed (UDP: the
    /// peer's next datagram opens a flow there) or kept until they close (a server's TCP connections: closing would end a
    /// Python client). A client's TCP flows (<c>-T</c>/<c>-t</c>) keep their open connection, and their next one goes to
    /// the new address. A name that no longer resolves keeps the old address: an error line naming it and the resolver's
    /// reason, and a refused reload. One line says what changed.
    /// </summary>
    internal async Task ReloadAsync(CancellationToken cancellationToken)
    {
        var was = _targetAddress;
        if (_target.Literal is not null)
        {
            Reloads.CountApplied();
            Log.Info(Component, $"reloaded: nothing to resolve, the {_target.What} is given as an address ({was})");
            return;
        }

        if (await _target.ResolveAgainAsync(Component, was, cancellationToken).ConfigureAwait(false) is not { } now)
        {
            Reloads.CountRefused();
            return;
        }

        var moved = new List<string>(_routes.Length);
        if (!now.Equals(was))
        {
            foreach (var route in _routes)
            {
                var target = new IPEndPoint(now, route.TargetEndPoint.Port);
                var move = await route.MoveTargetAsync(target, RouteFactory.Label(Options, target)).ConfigureAwait(false);
                if (move.Describe(route.Name) is { } described)
                {
                    moved.Add(described);
                }
            }

            _targetAddress = now;
            moved.Insert(0, "new flows go there");
            if (moved.Count == 1)
            {
                moved.Add("no flow was open");
            }
        }

        Reloads.CountApplied();
        Log.Info(Component, $"reloaded: {_target.DescribeMove(was, now)}{(moved.Count == 0 ? "" : ": " + string.Join("; ", moved))}");
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
