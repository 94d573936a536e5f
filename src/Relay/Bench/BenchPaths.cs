using System.Globalization;
using System.Net;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Bench;

/// <summary>
/// The table of paths `relay bench` can drive traffic through. Each path starts whatever it needs (usually one
/// child process, exactly as deployed) and says where the traffic must enter; the bench owns the ends (the
/// generator and sink, or the client and responder). Adding a path is adding one entry here.
/// </summary>
public static class BenchPaths
{
    /// <summary>The name the results carry in live mode (<c>--target</c>).</summary>
    public const string LiveName = "live";

    internal static IReadOnlyList<BenchPath> All { get; } =
    [
        new DirectPath(),
        new ChildPath(
            "c-baseline",
            "bench/baseline/udpfwd: a minimal C forwarder, recvmmsg/sendmmsg in batches of 64 (the fair one-core ceiling)",
            (env, target) => env.BaselineBinary is { } bin
                ? ChildProcess.Start(bin, ["127.0.0.1", "0", "127.0.0.1", Port(target)])
                : throw new InvalidOperationException(env.BaselineProblem)),
        new ChildPath(
            "engine-hop",
            "`relay bench forwarder`: the UDP engine's minimal forwarder, the C# twin of udpfwd",
            (env, target) => env.StartRelay("bench", "forwarder", "127.0.0.1", "0", "127.0.0.1", Port(target))),
        new ClassicPath("udp-hop", "`relay server` in UDP mode: one hop, as deployed next to a board", withClient: false, tcp: false),
        new ClassicPath("classic-udp", "`relay client` -> `relay server`, UDP between them (the spinnaker_proxy chain)", withClient: true, tcp: false),
        new ClassicPath(
            "classic-tcp",
            "`relay client -t -T` -> `relay server -t -T`: SCP and boot over length-prefixed TCP (server --boot-min-gap 0)",
            withClient: true,
            tcp: true),
        new SpallocPath(
            "spalloc",
            "`relay spalloc connect` -> websocket -> `relay spalloc serve`: a job's board as a local UDP port, client -> board " +
            "(SCP channel; boot-sized streams on the boot channel)",
            liveOutput: false),
        new SpallocPath(
            "spalloc-live",
            "the same Spalloc proxy, board -> client: streams flow as the board's live output (connect --live-tag 1 sets the tag " +
            "on an in-process emulator by MSG_TO; the bench plays the board -> serve's unbound channel -> websocket -> connect " +
            "--live-output -> sink); rr through the SCP channel",
            liveOutput: true),
        new TunnelPath(
            "tunnel",
            "`relay tunnel connect` <-> TCP <-> `relay tunnel serve` (a `relay tunnel keygen` key), --no-compression: streams up to 272 bytes " +
            "flow as the board's live output (the bench plays the board: IP tag 1 set by serve on an in-process emulator -> serve -> " +
            "connect -> sink), rr and SCP-sized streams through the SCP channel, boot-sized through boot; reports the tunnel's bytes per datagram",
            TunnelPathMode.Plain),
        new TunnelPath("tunnel-lz4", "the same tunnel with LZ4 batch compression (the default); reports the LZ4 saving", TunnelPathMode.Lz4),
        new TunnelPath("tunnel-tls", "the same tunnel with LZ4, over TLS (a self-signed certificate the client pins)", TunnelPathMode.Tls),
        new PeerPath(),
    ];

    /// <summary>
    /// Paths run when <c>--paths</c> is not given: the baselines and what is deployed. <c>engine-hop</c> (the UDP
    /// engine alone) is on request, to tell the engine's cost from a mode's.
    /// </summary>
    public static IReadOnlyList<string> DefaultNames { get; } = ["direct", "c-baseline", "udp-hop", "classic-udp", "classic-tcp"];

    /// <summary>Name and one-line description of every path, for --help.</summary>
    public static IEnumerable<(string Name, string Description)> Describe() => All.Map(p => (p.Name, p.Description));

    /// <summary>Parses HOST:PORT (a name is resolved, IPv4 preferred).</summary>
    public static bool TryParseTarget(string text, out IPEndPoint? endPoint, out string? error)
    {
        if (EndPointText.TryResolveHostPort(text, out endPoint, out var hostProblem))
        {
            error = null;
            return true;
        }

        error = hostProblem is null
            ? $"--target '{text}' is not HOST:PORT (e.g. 192.168.240.253:17893 or gateway.lab:17893)"
            : $"--target {hostProblem}";
        return false;
    }

    internal static BenchPath Find(string name) => All.First(p => p.Name == name);

    private static string Port(UdpAddress address) => address.Port.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One named way to carry the bench's traffic.</summary>
internal abstract class BenchPath(string name, string description)
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    /// <summary>
    /// Starts the path towards <paramref name="target"/> (the sink or responder) for <paramref name="workload"/>
    /// (a path may route by it, e.g. boot-sized datagrams through a boot tunnel) and returns where traffic enters.
    /// </summary>
    /// <exception cref="InvalidOperationException">The path could not start; the message says why.</exception>
    public abstract RunningPath Start(BenchEnvironment environment, UdpAddress target, BenchWorkload workload);
}

/// <summary>
/// A started path: its entry address and its child processes (none for direct, two for a server and client
/// chain). CPU, exit reports and output are those of all children together.
/// </summary>
internal sealed class RunningPath(UdpAddress entry, IReadOnlyList<ChildProcess> children) : IDisposable
{
    public RunningPath(UdpAddress entry, ChildProcess? child)
        : this(entry, child is null ? [] : [child])
    {
    }

    public UdpAddress Entry { get; } = entry;

    public IReadOnlyList<ChildProcess> Children { get; } = children;

    public bool HasChildren => Children.Count > 0;

    /// <summary>
    /// True when <see cref="Entry"/> is where a board's live output arrives: the generator then plays the board and
    /// writes spike keys after its stamp (<see cref="BenchPayload.WriteSpikeKeys"/>).
    /// </summary>
    public bool LiveOutput { get; init; }

    /// <summary>The visualisers a live-output path also sends to (owned by <see cref="Resources"/>), or null.</summary>
    public ExtraVisualisers? ExtraVisualisers { get; init; }

    /// <summary>What else the path owns (an in-process board, a scratch directory), disposed after the children.</summary>
    public IDisposable? Resources { get; init; }

    /// <summary>The children's command lines, joined with " + ", or null without children.</summary>
    public string? CommandLine => HasChildren ? string.Join(" + ", Children.Select(c => c.CommandLine)) : null;

    public bool AnyExited => Children.Any(c => c.HasExited);

    /// <summary>CPU of each child's process tree, in <see cref="Children"/>' order (empty without children).</summary>
    public CpuTime[] CpuOfEach()
    {
        var each = new CpuTime[Children.Count];
        for (var i = 0; i < each.Length; i++)
        {
            each[i] = Children[i].Cpu();
        }

        return each;
    }

    /// <summary>
    /// The CPU all children used between two samples of <see cref="CpuOfEach"/>; null without children.
    /// </summary>
    public CpuTime? CpuBetween(CpuTime[] before, CpuTime[] after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (!HasChildren)
        {
            return null;
        }

        var sum = default(CpuTime);
        for (var i = 0; i < Math.Min(before.Length, after.Length); i++)
        {
            var used = after[i] - before[i];
            sum = new CpuTime(sum.UserSeconds + used.UserSeconds, sum.SystemSeconds + used.SystemSeconds);
        }

        return sum;
    }

    /// <summary>Each child's CPU seconds between two samples of <see cref="CpuOfEach"/>, named by its label.</summary>
    public ProcessCpuShare[] CpuOfEachBetween(CpuTime[] before, CpuTime[] after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var shares = new ProcessCpuShare[Math.Min(before.Length, after.Length)];
        for (var i = 0; i < shares.Length; i++)
        {
            shares[i] = new ProcessCpuShare(Children[i].Label, (after[i] - before[i]).TotalSeconds);
        }

        return shares;
    }

    public string RecentOutput() => string.Join(" || ", Children.Select(c => c.RecentOutput()));

    /// <summary>
    /// Stops every child (SIGTERM, bounded wait, kill) and returns their exit reports summed, or null when a child
    /// wrote none (a C or foreign relay).
    /// </summary>
    public Diagnostics.ExitReport? Stop()
    {
        var reports = Children.Select(c => c.Stop(TimeSpan.FromSeconds(5))).ToList();
        return reports.Count == 0 || reports.Any(r => r is null) ? null : reports.Aggregate((a, b) => Diagnostics.ExitReport.Sum(a!, b!));
    }

    public void Dispose()
    {
        foreach (var child in Children)
        {
            child.Dispose();
        }

        Resources?.Dispose();
    }
}

/// <summary>No relay: traffic goes straight to the sink or responder.</summary>
internal sealed class DirectPath() : BenchPath("direct", "no relay: straight to the sink or responder (the baseline of the run)")
{
    public override RunningPath Start(BenchEnvironment environment, UdpAddress target, BenchWorkload workload) => new(target, []);
}

/// <summary>A child that prints "listening on PORT" once it is ready (udpfwd, `relay bench forwarder`).</summary>
internal sealed class ChildPath(string name, string description, Func<BenchEnvironment, UdpAddress, ChildProcess> start)
    : BenchPath(name, description)
{
    public override RunningPath Start(BenchEnvironment environment, UdpAddress target, BenchWorkload workload)
    {
        var child = start(environment, target);
        var port = child.WaitForListeningPort(environment.StartTimeout, CancellationToken.None);
        if (port is null)
        {
            var why = child.HasExited ? "exited" : $"printed no 'listening on PORT' within {environment.StartTimeout.TotalSeconds:0.#} s";
            child.Dispose();
            throw new InvalidOperationException($"{child.CommandLine} {why}; its output: {child.RecentOutput()}");
        }

        return new RunningPath(new UdpAddress(IPAddress.Loopback, port.Value), child);
    }
}

/// <summary>
/// Any other relay, from <c>--peer-cmd</c>: run through <c>sh -c</c> with the placeholders filled in; ready when the
/// first datagram passes.
/// </summary>
internal sealed class PeerPath() : BenchPath("peer", "--peer-cmd '...': any other relay, started with the bench's ports in its placeholders")
{
    public override RunningPath Start(BenchEnvironment environment, UdpAddress target, BenchWorkload workload)
    {
        var ports = PortPlaceholders.PickFreePorts(2);
        var values = new Dictionary<string, string>
        {
            ["listen_addr"] = "127.0.0.1",
            ["listen_port"] = ports[0].ToString(CultureInfo.InvariantCulture),
            ["target_addr"] = "127.0.0.1",
            ["target_port"] = target.Port.ToString(CultureInfo.InvariantCulture),
            ["tunnel_port"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["relay"] = environment.RelayCommandLine,
        };
        if (!PortPlaceholders.TrySubstitute(environment.PeerCommand ?? "", values, out var command, out var error))
        {
            throw new InvalidOperationException($"--peer-cmd: {error}");
        }

        // A simple command replaces the shell (exec); a compound one (a server & a client) runs under it.
        var script = command.AsSpan().IndexOfAny("&;|()\n") >= 0 ? command : "exec " + command;
        var child = ChildProcess.Start("/bin/sh", ["-c", script], label: "peer");
        return new RunningPath(new UdpAddress(IPAddress.Loopback, ports[0]), child);
    }
}
