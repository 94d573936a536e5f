using System.CommandLine;
using System.Net;
using FastSpinnRelay.Relay.Classic;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// The spinnaker_proxy-compatible verbs: <c>relay server BOARD</c>, <c>relay client PROXY_HOST</c>, and the
/// original spellings on the root command (<c>relay -s BOARD</c>, <c>relay -c PROXY_HOST</c>). Flags, short names
/// and defaults are the original's; the rest is what it lacks.
/// </summary>
public sealed class ClassicCommands
{
    private static readonly ClassicProxyOptions Defaults = new() { Role = ClassicRole.Server, Target = "" };

    private readonly Func<ClassicProxyOptions, CancellationToken, Task<int>> _run;

    private readonly Option<bool> bootViaTcp = new("--boot-via-tcp", "-t")
    {
        Description = "Carry boot packets over TCP between client and server (both ends must use it).",
    };

    private readonly Option<bool> scpViaTcp = new("--sdp-via-tcp", "-T")
    {
        Description = "Carry SCP/SDP packets over TCP between client and server (both ends must use it).",
    };

    private readonly Option<int> scpPort = PortOption("--scp-port", ClassicProxyOptions.DefaultScpPort,
        "The board's SCP port: the server sends to it, the client listens on it.");

    private readonly Option<int> bootPort = PortOption("--boot-port", ClassicProxyOptions.DefaultBootPort,
        "The board's boot port: the server sends to it, the client listens on it.");

    private readonly Option<int> scpTunnelPort = PortOption("--scp-tunnel-port", ClassicProxyOptions.DefaultScpTunnelPort,
        "Tunnel port for SCP: the server listens on it, the client sends to it.");

    private readonly Option<int> bootTunnelPort = PortOption("--boot-tunnel-port", ClassicProxyOptions.DefaultBootTunnelPort,
        "Tunnel port for boot packets: the server listens on it, the client sends to it.");

    private readonly Option<bool> quiet = new("--quiet", "-q")
    {
        Description = "Don't print the connection log (warnings and errors still go to stderr).",
    };

    private readonly Option<IPAddress?> bind = new("--bind")
    {
        Description = "Address the listening sockets bind to (:: listens on IPv6 and IPv4). [default: server 0.0.0.0, client 127.0.0.1]",
        CustomParser = ValueParsers.Address,
        HelpName = "address",
    };

    private readonly Option<IPNetwork[]> allow = new("--allow")
    {
        Description = "Server only: peers allowed to use the tunnel ports, as a network (10.0.0.0/8) or an address; repeat for more. [default: anyone]",
        CustomParser = ValueParsers.Networks,
        HelpName = "cidr",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<int> maxFrame = new("--max-frame")
    {
        Description = "Largest datagram a TCP peer may announce, in bytes (1-65536); a larger length prefix drops that connection.",
        DefaultValueFactory = _ => ClassicProxyOptions.DefaultMaxFrameLength,
        HelpName = "bytes",
    };

    // Durations have no DefaultValueFactory: help would print it as 00:05:00. Unset means the options' default.
    private readonly Option<TimeSpan> flowIdle = new("--flow-idle-timeout")
    {
        Description = "Close a peer's flow (its own socket or connection towards the target) after this long without traffic. [default: 5m]",
        CustomParser = r => ValueParsers.Duration(r, "s"),
        HelpName = "duration",
    };

    private readonly Option<int> maxFlows = new("--max-flows")
    {
        Description = "Most peers (clients, applications, TCP connections) served at once per port; more are refused and counted.",
        DefaultValueFactory = _ => Defaults.MaxFlows,
        HelpName = "count",
    };

    private readonly Option<TimeSpan> bootMinGap = new("--boot-min-gap")
    {
        Description = "Server with -t: smallest gap between boot packets sent to the board when several arrive together (0 = none). [default: 50ms]",
        CustomParser = r => ValueParsers.Duration(r, "ms"),
        HelpName = "duration",
    };

    private readonly Option<TimeSpan> statsInterval = new("--stats-interval")
    {
        Description = "Log per-route packet counters this often (0 = only at exit). [default: 0]",
        CustomParser = r => ValueParsers.Duration(r, "s"),
        HelpName = "duration",
    };

    private readonly Option<TimeSpan> spin = new("--spin")
    {
        Description = "UDP: after handling datagrams, poll for more this long (yielding the core) before sleeping, so a " +
            "reply is picked up without a wake-up; backs off when it finds nothing (0 = sleep at once, at most 1ms). [default: 100us]",
        CustomParser = r => ValueParsers.Duration(r, "us"),
        HelpName = "duration",
    };

    /// <param name="run">What the verbs do with their options; default <see cref="ClassicProxyHost.RunAsync"/>
    /// (tests pass a recorder).</param>
    public ClassicCommands(Func<ClassicProxyOptions, CancellationToken, Task<int>>? run = null) =>
        _run = run ?? ClassicProxyHost.RunAsync;

    /// <summary>The root-level original spelling <c>-s</c>.</summary>
    public Option<bool> ServerFlag { get; } = new("--server", "-s")
    {
        Description = "spinnaker_proxy spelling: `relay -s BOARD` is `relay server BOARD`.",
    };

    /// <summary>The root-level original spelling <c>-c</c>.</summary>
    public Option<bool> ClientFlag { get; } = new("--client", "-c")
    {
        Description = "spinnaker_proxy spelling: `relay -c PROXY_HOST` is `relay client PROXY_HOST`.",
    };

    /// <summary>The original's positional target. Hidden: it would otherwise show in every verb's usage line.</summary>
    public Argument<string?> RootTarget { get; } = new("target")
    {
        Description = "With -s: the board's host name. With -c: the proxy server's host name.",
        Arity = ArgumentArity.ZeroOrOne,
        Hidden = true,
    };

    public Command CreateServer()
    {
        var target = new Argument<string>("board") { Description = "Host name or address of the SpiNNaker board." };
        var command = new Command("server",
            "Run next to the board (spinnaker_proxy -s): accept proxy clients on the tunnel ports (UDP, or TCP with " +
            "-T/-t) and forward to the board's SCP and boot ports. Many clients at once, each with its own socket to the board. " +
            "SIGHUP (systemctl reload) resolves BOARD's name again: if the board has moved (DHCP, a spare under the same name), " +
            "new datagrams go to its new address and open flows follow; a name that no longer resolves keeps the old address.");
        command.Arguments.Add(target);
        AddShared(command, ClassicRole.Server);
        command.SetAction((parse, ct) => RunAsync(Read(parse, ClassicRole.Server, parse.GetValue(target)), ct));
        return command;
    }

    public Command CreateClient()
    {
        var target = new Argument<string>("proxy-host") { Description = "Host name or address of the relay or spinnaker_proxy server." };
        var command = new Command("client",
            "Run next to the user (spinnaker_proxy -c): listen on the board's SCP and boot ports (loopback by default) " +
            "and forward to a proxy server's tunnel ports. Point SpiNNaker tools at this host. Many applications at once. " +
            "SIGHUP resolves PROXY-HOST's name again: if the server has moved, new flows go to its new address and open ones " +
            "follow where they can (an open TCP connection is kept; its next one goes there).");
        command.Arguments.Add(target);
        AddShared(command, ClassicRole.Client);
        command.SetAction((parse, ct) => RunAsync(Read(parse, ClassicRole.Client, parse.GetValue(target)), ct));
        return command;
    }

    /// <summary>Adds the original's flags to the root command so `relay -s BOARD` works unchanged.</summary>
    public void AddRootSpellings(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Options.Add(ServerFlag);
        root.Options.Add(ClientFlag);
        root.Arguments.Add(RootTarget);
        AddShared(root, role: null);
        root.SetAction((parse, ct) =>
        {
            var isServer = parse.GetValue(ServerFlag);
            var isClient = parse.GetValue(ClientFlag);
            if (isServer == isClient)
            {
                throw new RelayToolException(ExitCode.Usage, isServer
                    ? "-s/--server and -c/--client exclude each other; choose one"
                    : "choose a mode: `relay server BOARD`, `relay client PROXY_HOST` (or -s/-c as with spinnaker_proxy), `relay emulate`, `relay demo`; see relay --help");
            }

            var role = isServer ? ClassicRole.Server : ClassicRole.Client;
            return RunAsync(Read(parse, role, parse.GetValue(RootTarget)), ct);
        });
    }

    /// <param name="command">Where to add the options.</param>
    /// <param name="role">The verb's role, or null for the root spellings (which take every option).</param>
    private void AddShared(Command command, ClassicRole? role)
    {
        command.Options.Add(bootViaTcp);
        command.Options.Add(scpViaTcp);
        command.Options.Add(scpPort);
        command.Options.Add(bootPort);
        command.Options.Add(scpTunnelPort);
        command.Options.Add(bootTunnelPort);
        command.Options.Add(quiet);
        command.Options.Add(bind);
        if (role != ClassicRole.Client)
        {
            command.Options.Add(allow);
        }

        command.Options.Add(maxFrame);
        command.Options.Add(flowIdle);
        command.Options.Add(maxFlows);
        if (role != ClassicRole.Client)
        {
            command.Options.Add(bootMinGap);
        }

        command.Options.Add(statsInterval);
        command.Options.Add(spin);
    }

    private ClassicProxyOptions Read(ParseResult parse, ClassicRole role, string? target)
    {
        var options = new ClassicProxyOptions
        {
            Role = role,
            Target = target ?? "",
            BootViaTcp = parse.GetValue(bootViaTcp),
            ScpViaTcp = parse.GetValue(scpViaTcp),
            ScpPort = parse.GetValue(scpPort),
            BootPort = parse.GetValue(bootPort),
            ScpTunnelPort = parse.GetValue(scpTunnelPort),
            BootTunnelPort = parse.GetValue(bootTunnelPort),
            Quiet = parse.GetValue(quiet),
            BindAddress = parse.GetValue(bind),
            Allow = parse.GetValue(allow) ?? [],
            MaxFrameLength = parse.GetValue(maxFrame),
            FlowIdleTimeout = ValueOr(parse, flowIdle, Defaults.FlowIdleTimeout),
            MaxFlows = parse.GetValue(maxFlows),
            BootMinGap = ValueOr(parse, bootMinGap, Defaults.BootMinGap),
            StatsInterval = ValueOr(parse, statsInterval, Defaults.StatsInterval),
            SpinBeforeSleep = ValueOr(parse, spin, Defaults.SpinBeforeSleep),
        };
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new RelayToolException(ExitCode.Usage, string.Join("; ", problems));
        }

        return options;
    }

    private static TimeSpan ValueOr(ParseResult parse, Option<TimeSpan> option, TimeSpan fallback) =>
        parse.GetResult(option) is null ? fallback : parse.GetValue(option);

    private Task<int> RunAsync(ClassicProxyOptions options, CancellationToken ct) => _run(options, ct);

    private static Option<int> PortOption(string name, int defaultValue, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        HelpName = "port",
    };
}
