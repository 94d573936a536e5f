using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Spalloc.Client;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>
/// The Spalloc proxy as deployed: `relay spalloc serve` over one board (the bench's sink or responder, on
/// 127.0.0.1) and `relay spalloc connect JOB`, which makes the job's board a local UDP port; between them one
/// websocket (protocols.md §7). The bench writes the configuration with a fresh token, creates the job itself (not
/// measured), and reads the local ports from connect's --ports-file. Boot-sized streams take the boot channel,
/// everything else the board's SCP channel (client -> board).
/// </summary>
/// <remarks>
/// With <paramref name="liveOutput"/> (path <c>spalloc-live</c>) streams go the other way, as a board's live output
/// does: connect is started with <c>--live-tag 1 --live-output SINK</c>, so it opens an unbound channel and sets IP
/// tag 1 (STRIP + USE_SENDER) by MSG_TO on an in-process board emulator, which records serve's channel socket as
/// the tag's destination; the generator then plays the board and sends there (from 127.0.0.1, the job's board), and
/// the datagrams travel serve -> websocket -> connect -> sink. Request/response still goes through the SCP channel
/// (to the emulator-free responder, as <c>spalloc</c>).
/// </remarks>
internal sealed class SpallocPath(string name, string description, bool liveOutput) : BenchPath(name, description)
{
    public const int LiveOutputTag = TunnelPath.LiveOutputTag;

    public override RunningPath Start(BenchEnvironment environment, UdpAddress target, BenchWorkload workload)
    {
        var stream = workload.Kind == BenchWorkloadKind.Stream;
        var live = liveOutput && stream;
        var viaBoot = stream && !live && workload.Size > SdpConstants.MaxDatagramLength;
        var timeout = environment.StartTimeout;
        var scratch = new ScratchDirectory("relay-bench-spalloc-");
        var board = live ? new BoardEmulator(new EmulatorOptions { Address = IPAddress.Loopback, ScpPort = 0, BootPort = 0 }) : null;
        var extras = new ExtraVisualisers(live ? environment.Visualisers - 1 : 0);
        var children = new List<ChildProcess>();
        try
        {
            var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            var config = scratch.File("spalloc.json");
            File.WriteAllText(config, Configuration(TokenHash.Create(token, TokenHash.MinIterations)));
            var httpPort = PortPlaceholders.PickFreePorts(1)[0];
            var serve = environment.StartRelay("spalloc", "serve", "--config", config, "--listen", $"127.0.0.1:{P(httpPort)}");
            children.Add(serve);
            if (!ListeningTcpPorts.WaitFor([httpPort], timeout, serve))
            {
                throw new InvalidOperationException($"{serve.CommandLine} did not listen on TCP {httpPort}; its output: {serve.RecentOutput()}");
            }

            var service = new Uri($"http://127.0.0.1:{P(httpPort)}/spalloc/");
            var job = CreateJob(service, token, timeout);
            var portsFile = scratch.File("ports.json");
            var boardPort = board is null ? target.Port : board.ScpEndPoint.Port;
            string[] liveOptions = live
                ? ["--live-tag", P(LiveOutputTag), "--live-output", $"127.0.0.1:{P(target.Port)}", .. extras.Addresses.SelectMany(a => new[] { "--live-output", a })]
                : [];
            var connect = environment.StartRelay(
            [
                "spalloc", "connect", job.ToString(), "--service", service.ToString(), "--token", token,
                "--board-scp-port", P(boardPort), "--board-boot-port", P(boardPort), "--ports-file", portsFile, .. liveOptions,
            ]);
            children.Add(connect);
            var entry = WaitForEntry(portsFile, viaBoot, timeout, connect);
            if (board is not null)
            {
                // connect writes its ports file once the tag is set: the tag names serve's channel socket, where the board's output goes.
                entry = TunnelPath.WaitForLiveOutputSocket(board, LiveOutputTag, children, timeout);
            }

            return new RunningPath(entry, children) { LiveOutput = live, Resources = new Owned(scratch, board, extras), ExtraVisualisers = extras };
        }
        catch (Exception ex) when (ex is SpallocClientException or IOException or JsonException or OperationCanceledException)
        {
            Dispose(children, scratch, board, extras);
            throw new InvalidOperationException($"the spalloc path did not start: {ex.Message}", ex);
        }
        catch
        {
            Dispose(children, scratch, board, extras);
            throw;
        }
    }

    private static string Configuration(string tokenHash) =>
        $$"""
        {
          "machine": { "name": "bench", "boards": [ { "triad": [0, 0, 0], "address": "127.0.0.1" } ] },
          "users": [ { "name": "bench", "token-hash": "{{tokenHash}}" } ]
        }
        """;

    /// <summary>Logs in with the token, creates a one-board job and waits until it is READY (bounded).</summary>
    private static Uri CreateJob(Uri service, string token, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        using var client = new SpallocClient(service, new SpallocCredentials(null, null, token), new SpallocClientOptions { RequestTimeout = timeout });
        var job = client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 }, cancel.Token).GetAwaiter().GetResult();
        client.WaitUntilReadyAsync(job, timeout, progress: null, cancel.Token).GetAwaiter().GetResult();
        return job;
    }

    /// <summary>Polls connect's --ports-file (written once every channel is open) for the board's SCP or boot port.</summary>
    private static UdpAddress WaitForEntry(string portsFile, bool viaBoot, TimeSpan timeout, ChildProcess connect)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !connect.HasExited)
        {
            if (File.Exists(portsFile) && TryReadEntry(File.ReadAllBytes(portsFile), viaBoot, out var entry))
            {
                return entry;
            }

            Thread.Sleep(20);
        }

        var why = connect.HasExited ? "exited" : $"wrote no {portsFile} within {timeout.TotalSeconds:0.#} s";
        throw new InvalidOperationException($"{connect.CommandLine} {why}; its output: {connect.RecentOutput()}");
    }

    /// <summary>Reads "boot" or boards[0].scp ("ADDR:PORT") from the ports file; false while it is incomplete.</summary>
    internal static bool TryReadEntry(ReadOnlySpan<byte> json, bool viaBoot, out UdpAddress entry)
    {
        entry = default;
        try
        {
            using var document = JsonDocument.Parse(json.ToArray());
            var root = document.RootElement;
            var text = viaBoot
                ? root.GetProperty("boot").GetString()
                : root.GetProperty("boards")[0].GetProperty("scp").GetString();
            if (IPEndPoint.TryParse(text ?? "", out var endPoint) && endPoint.Port != 0)
            {
                entry = UdpAddress.FromIPEndPoint(endPoint);
                return true;
            }
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            // Half written, or not (yet) the expected shape: try again.
        }

        return false;
    }

    private static void Dispose(List<ChildProcess> children, ScratchDirectory scratch, BoardEmulator? board, ExtraVisualisers extras)
    {
        foreach (var child in children)
        {
            child.Dispose();
        }

        new Owned(scratch, board, extras).Dispose();
    }

    /// <summary>The scratch directory and, for live output, the board emulator and extra visualisers: disposed after the children.</summary>
    private sealed class Owned(ScratchDirectory scratch, BoardEmulator? board, ExtraVisualisers extras) : IDisposable
    {
        public void Dispose()
        {
            board?.Dispose();
            extras.Dispose();
            scratch.Dispose();
        }
    }

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);
}
