using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>How a tunnel path runs its two ends.</summary>
internal enum TunnelPathMode
{
    /// <summary>Plain TCP, both ends with --no-compression.</summary>
    Plain,

    /// <summary>Plain TCP, LZ4 on (the default).</summary>
    Lz4,

    /// <summary>TLS (a self-signed certificate the client pins), LZ4 on.</summary>
    Tls,
}

/// <summary>Which of the tunnel's channels a workload goes through.</summary>
internal enum TunnelRoute
{
    /// <summary>Into connect's SCP port, out of serve's SCP channel socket to the board's SCP port (request/response, SCP-sized streams).</summary>
    Scp,

    /// <summary>Into connect's boot port, out of serve's boot channel to the board's boot port (boot-sized streams).</summary>
    Boot,

    /// <summary>The board's live output: into serve's IP-tag socket, out of connect to the visualiser (EIEIO-sized streams).</summary>
    LiveOutput,
}

/// <summary>
/// `relay tunnel serve` + `relay tunnel connect` as deployed, with a key file made by `relay tunnel keygen` in a scratch
/// directory (and, for TLS, a self-signed certificate written there as PEM and pinned by the client). Request/response
/// and SCP-sized streams enter connect's SCP port and leave serve towards the bench's responder or sink (the board's
/// SCP port); boot-sized streams take the boot channel. EIEIO-sized streams (up to 272 bytes, what a STRIP tag
/// carries) flow as spikes do: connect asks for live output of IP tag 1 to the bench's sink, serve sets the tag on an
/// in-process board emulator (STRIP + USE_SENDER), and the generator plays the board, sending to the socket the tag
/// names; serve batches the datagrams into the tunnel (LZ4 where on) and connect sends them to the sink.
/// </summary>
internal sealed class TunnelPath(string name, string description, TunnelPathMode mode) : BenchPath(name, description)
{
    /// <summary>The IP tag the live-output route asks for.</summary>
    public const int LiveOutputTag = 1;

    /// <summary>Which channel <paramref name="workload"/> goes through.</summary>
    public static TunnelRoute RouteFor(BenchWorkload workload) =>
        workload.Kind != BenchWorkloadKind.Stream ? TunnelRoute.Scp
        : workload.Size > SdpConstants.MaxDatagramLength ? TunnelRoute.Boot
        : workload.Size <= SdpConstants.MaxPayloadLength ? TunnelRoute.LiveOutput
        : TunnelRoute.Scp;

    public override RunningPath Start(BenchEnvironment environment, UdpAddress target, BenchWorkload workload)
    {
        var route = RouteFor(workload);
        var kit = new TunnelBenchKit(route == TunnelRoute.LiveOutput, route == TunnelRoute.LiveOutput ? environment.Visualisers - 1 : 0);
        var children = new List<ChildProcess>();
        try
        {
            var key = kit.MakeKey(environment);
            var ports = PortPlaceholders.PickFreePorts(3);
            string P(int port) => port.ToString(CultureInfo.InvariantCulture);
            var board = kit.Board is { } emulator ? (Scp: emulator.ScpEndPoint.Port, Boot: emulator.BootEndPoint.Port) : (Scp: target.Port, Boot: target.Port);
            string[] compression = mode == TunnelPathMode.Plain ? ["--no-compression"] : [];
            var (serveTls, connectTls) = mode == TunnelPathMode.Tls ? kit.MakeTls() : ([], []);

            var serve = environment.StartRelay(
            [
                "tunnel", "serve", "127.0.0.1", "--key-file", key, "--listen", $"127.0.0.1:{P(ports[0])}",
                "--scp-port", P(board.Scp), "--boot-port", P(board.Boot), "--boot-min-gap", "0", "-q", .. compression, .. serveTls,
            ]);
            children.Add(serve);
            if (!ListeningTcpPorts.WaitFor([ports[0]], environment.StartTimeout, serve))
            {
                throw new InvalidOperationException($"{serve.CommandLine} did not listen on TCP {ports[0]}; its output: {serve.RecentOutput()}");
            }

            string[] live = route == TunnelRoute.LiveOutput
                ? ["--live-output", string.Join(',', [$"{LiveOutputTag}=127.0.0.1:{P(target.Port)}", .. kit.Visualisers.Addresses])]
                : [];
            children.Add(environment.StartRelay(
            [
                "tunnel", "connect", $"127.0.0.1:{P(ports[0])}", "--key-file", key, "--scp-port", P(ports[1]), "--boot-port", P(ports[2]),
                "-q", .. live, .. compression, .. connectTls,
            ]));

            var entry = route switch
            {
                TunnelRoute.LiveOutput => WaitForLiveOutputSocket(kit.Board!, LiveOutputTag, children, environment.StartTimeout),
                TunnelRoute.Boot => new UdpAddress(IPAddress.Loopback, ports[2]),
                _ => new UdpAddress(IPAddress.Loopback, ports[1]),
            };
            return new RunningPath(entry, children) { LiveOutput = route == TunnelRoute.LiveOutput, Resources = kit, ExtraVisualisers = kit.Visualisers };
        }
        catch
        {
            foreach (var child in children)
            {
                child.Dispose();
            }

            kit.Dispose();
            throw;
        }
    }

    /// <summary>Waits (bounded) until a relay has set IP tag <paramref name="tag"/> on the board; where the tag points is where the board's output goes.</summary>
    internal static UdpAddress WaitForLiveOutputSocket(BoardEmulator board, int tag, List<ChildProcess> children, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline && !children.Any(c => c.HasExited))
        {
            if (board.Tags.Get(tag)?.Destination is { } destination)
            {
                return UdpAddress.FromIPEndPoint(destination);
            }

            Thread.Sleep(10);
        }

        throw new InvalidOperationException(
            $"IP tag {tag} was not set on the bench's board within {timeout.TotalSeconds:0.#} s; output: {string.Join(" || ", children.Select(c => c.RecentOutput()))}");
    }
}

/// <summary>
/// What a tunnel path owns besides its children: a scratch directory (key file, TLS PEM files) and, for live output, the
/// in-process board emulator serve sets its IP tag on. Disposing removes both.
/// </summary>
internal sealed class TunnelBenchKit : IDisposable
{
    private static readonly TimeSpan KeygenTimeout = TimeSpan.FromSeconds(30);

    private readonly ScratchDirectory _scratch = new("relay-bench-tunnel-");

    /// <param name="withBoard">Start the in-process board (live output).</param>
    /// <param name="extraVisualisers">Visualisers besides the sink the live output also goes to.</param>
    public TunnelBenchKit(bool withBoard, int extraVisualisers = 0)
    {
        Visualisers = new ExtraVisualisers(extraVisualisers);
        Board = withBoard ? new BoardEmulator(new EmulatorOptions { Address = IPAddress.Loopback, ScpPort = 0, BootPort = 0 }) : null;
    }

    /// <summary>The visualisers besides the sink (none unless asked for).</summary>
    public ExtraVisualisers Visualisers { get; }

    /// <summary>The board serve sets its IP tag on, or null when the route needs none.</summary>
    public BoardEmulator? Board { get; }

    /// <summary>Runs `relay tunnel keygen -o DIR/tunnel.key` (as a user would) and returns the file's path.</summary>
    public string MakeKey(BenchEnvironment environment)
    {
        var path = _scratch.File("tunnel.key");
        using var keygen = environment.StartRelay("tunnel", "keygen", "-o", path);
        var code = keygen.WaitForExit(KeygenTimeout);
        return code == 0 && File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{keygen.CommandLine} {(code is null ? "did not finish" : $"exited with {code}")}; its output: {keygen.RecentOutput()}");
    }

    /// <summary>Writes a self-signed certificate and key as PEM; returns serve's and connect's TLS options (the client pins it).</summary>
    public (string[] Serve, string[] Connect) MakeTls()
    {
        using var certificate = TunnelCertificates.CreateSelfSigned("localhost");
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("the self-signed certificate has no ECDSA key");
        var certPath = _scratch.File("tls.crt");
        var keyPath = _scratch.File("tls.key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (["--tls-cert", certPath, "--tls-key", keyPath], ["--tls-pin", TunnelCertificates.Fingerprint(certificate)]);
    }

    public void Dispose()
    {
        Board?.Dispose();
        Visualisers.Dispose();
        _scratch.Dispose();
    }
}
