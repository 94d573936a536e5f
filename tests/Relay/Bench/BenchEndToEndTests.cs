using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Tests.Bench;

/// <summary>Tiny real runs on loopback. They check that packets flow and the report is well formed, never rates or timings.</summary>
public class BenchEndToEndTests
{
    [Fact]
    public async Task A_direct_run_delivers_and_reports_tables_and_json()
    {
        var json = Path.Combine(Path.GetTempPath(), $"bench-test-{Guid.NewGuid():N}.json");
        try
        {
            var settings = new BenchSettings
            {
                Paths = ["direct"],
                Workloads = ["stream", "rr1", "rr8"],
                Sizes = [24],
                Duration = TimeSpan.FromMilliseconds(300),
                Warmup = TimeSpan.Zero,
                Rate = 20_000,
                Repeat = 2,
                JsonOutput = json,
            };
            using var output = new StringWriter();
            using var error = new StringWriter();

            var code = await BenchCommand.RunAsync(settings, output, error, CancellationToken.None);

            var text = output.ToString();
            Assert.True(code == 0, $"exit {code}: {error}\n{text}");
            Assert.Contains("relay bench", text, StringComparison.Ordinal);
            Assert.Contains("one-way stream of 24-byte datagrams", text, StringComparison.Ordinal);
            Assert.Contains("request/response (SCP VER), 8 outstanding", text, StringComparison.Ordinal);
            Assert.Contains("delivered/s", text, StringComparison.Ordinal);
            Assert.True(text.IndexOf("machine", StringComparison.Ordinal) < text.IndexOf("one-way stream", StringComparison.Ordinal), "settings come first");

            using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
            var results = doc.RootElement.GetProperty("results");
            Assert.Equal(3, results.GetArrayLength());
            foreach (var result in results.EnumerateArray())
            {
                Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
                Assert.Equal("direct", result.GetProperty("path").GetString());
                Assert.True(result.GetProperty("delivered").GetInt64() > 0);
                Assert.True(result.GetProperty("latencyNanoseconds").GetProperty("count").GetInt64() > 0);
                Assert.Equal(2, result.GetProperty("runs").GetArrayLength());
                if (result.GetProperty("kind").GetString() == "request-response")
                {
                    Assert.Equal("emulator", result.GetProperty("responder").GetString());
                }

            }

            Assert.True(doc.RootElement.GetProperty("succeeded").GetBoolean());
            Assert.True(doc.RootElement.GetProperty("machine").GetProperty("cores").GetInt32() > 0);
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public async Task A_child_relay_is_stopped_with_sigterm_and_reports_gc_and_allocations_at_exit()
    {
        var json = Path.Combine(Path.GetTempPath(), $"bench-test-{Guid.NewGuid():N}.json");
        try
        {
            var settings = new BenchSettings
            {
                Paths = ["engine-hop"],
                Workloads = ["stream", "rr1"],
                Sizes = [282],
                Responder = "echo",
                Duration = TimeSpan.FromMilliseconds(200),
                Warmup = TimeSpan.Zero,
                Rate = 10_000,
                JsonOutput = json,
            };
            using var output = new StringWriter();
            using var error = new StringWriter();

            var code = await BenchCommand.RunAsync(settings, output, error, CancellationToken.None);

            Assert.True(code == 0, $"exit {code}: {error}\n{output}");
            using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
            foreach (var result in doc.RootElement.GetProperty("results").EnumerateArray())
            {
                Assert.Contains("bench forwarder", result.GetProperty("command").GetString(), StringComparison.Ordinal);
                if (result.GetProperty("kind").GetString() == "request-response")
                {
                    Assert.Equal("echo", result.GetProperty("responder").GetString());
                }

                var child = result.GetProperty("child");
                Assert.True(child.GetProperty("allocatedBytes").GetInt64() > 0);
                Assert.True(child.GetProperty("gc0").GetInt32() >= 0);
                Assert.True(child.GetProperty("lifetimeDatagrams").GetInt64() > 0);
                Assert.True(result.GetProperty("cpu").GetProperty("userSeconds").GetDouble() >= 0);
            }
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public async Task Classic_chains_run_a_server_and_a_client_and_sum_their_exit_reports()
    {
        using var doc = await RunToJsonAsync(new BenchSettings
        {
            Paths = ["udp-hop", "classic-udp", "classic-tcp"],
            Workloads = ["rr1"],
            Duration = TimeSpan.FromMilliseconds(200),
            Warmup = TimeSpan.Zero,
        });

        var results = doc.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(3, results.Count);
        foreach (var result in results)
        {
            var command = result.GetProperty("command").GetString()!;
            Assert.Contains(" server 127.0.0.1 ", command, StringComparison.Ordinal);
            Assert.Equal(result.GetProperty("path").GetString() != "udp-hop", command.Contains(" client 127.0.0.1 ", StringComparison.Ordinal));
            Assert.Equal(result.GetProperty("path").GetString() == "classic-tcp", command.Contains(" -T", StringComparison.Ordinal));
            Assert.Equal("emulator", result.GetProperty("responder").GetString());
            Assert.True(result.GetProperty("child").GetProperty("allocatedBytes").GetInt64() > 0);

            // CPU by process: the server, then the client of a chain, each with its seconds; together the cell's.
            var cpu = result.GetProperty("cpu");
            var processes = cpu.GetProperty("processes").EnumerateArray().ToList();
            string[] expected = result.GetProperty("path").GetString() == "udp-hop" ? ["relay server"] : ["relay server", "relay client"];
            Assert.Equal(expected, processes.Select(p => p.GetProperty("process").GetString()));
            var total = cpu.GetProperty("userSeconds").GetDouble() + cpu.GetProperty("systemSeconds").GetDouble();
            Assert.Equal(total, processes.Sum(p => p.GetProperty("seconds").GetDouble()), 2);
            Assert.All(processes, p => Assert.True(p.GetProperty("cores").GetDouble() >= 0));
        }
    }

    [Theory]
    [InlineData(new[] { "server", "127.0.0.1", "--scp-port", "1" }, "relay server")]
    [InlineData(new[] { "tunnel", "serve", "127.0.0.1" }, "relay tunnel serve")]
    [InlineData(new[] { "bench", "forwarder", "127.0.0.1", "0" }, "relay bench forwarder")]
    [InlineData(new[] { "client", "-t" }, "relay client")]
    [InlineData(new[] { "--version" }, "relay")]
    [InlineData(new string[0], "relay")]
    public void A_relay_child_is_named_by_its_verbs(string[] arguments, string label) =>
        Assert.Equal(label, BenchEnvironment.RelayLabel(arguments));

    [Fact]
    public async Task The_spalloc_path_serves_a_job_connects_to_it_and_cleans_up_its_scratch_directory()
    {
        var scratchBefore = Directory.GetDirectories(Path.GetTempPath(), "relay-bench-spalloc-*").Length;
        using var doc = await RunToJsonAsync(new BenchSettings
        {
            Paths = ["spalloc"],
            Workloads = ["stream", "rr1"],
            Sizes = [24, 1042],
            Duration = TimeSpan.FromMilliseconds(200),
            Warmup = TimeSpan.Zero,
            Rate = 5_000,
        });

        var results = doc.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(3, results.Count);
        foreach (var result in results)
        {
            var command = result.GetProperty("command").GetString()!;
            Assert.Contains(" spalloc serve ", command, StringComparison.Ordinal);
            Assert.Contains(" spalloc connect ", command, StringComparison.Ordinal);
            Assert.True(result.GetProperty("delivered").GetInt64() > 0, result.ToString());
        }

        Assert.Equal(scratchBefore, Directory.GetDirectories(Path.GetTempPath(), "relay-bench-spalloc-*").Length);
    }

    [Fact]
    public async Task Tunnel_paths_carry_live_output_and_scp_and_report_bytes_per_datagram_and_the_lz4_saving()
    {
        var json = Path.Combine(Path.GetTempPath(), $"bench-test-{Guid.NewGuid():N}.json");
        try
        {
            var settings = new BenchSettings
            {
                Paths = ["tunnel", "tunnel-lz4", "tunnel-tls"],
                Workloads = ["stream", "rr1"],
                Sizes = [24],
                Duration = TimeSpan.FromMilliseconds(300),
                Warmup = TimeSpan.Zero,
                Rate = 0, // full speed, so the live output is batched (and so compressed) as under load
                JsonOutput = json,
            };
            using var output = new StringWriter();
            using var error = new StringWriter();

            var code = await BenchCommand.RunAsync(settings, output, error, CancellationToken.None);

            Assert.True(code == 0, $"exit {code}: {error}\n{output}");
            Assert.Contains("tun B/dg", output.ToString(), StringComparison.Ordinal);
            using var doc = JsonDocument.Parse(File.ReadAllBytes(json));
            var results = doc.RootElement.GetProperty("results").EnumerateArray().ToList();
            Assert.Equal(6, results.Count);
            foreach (var result in results)
            {
                var path = result.GetProperty("path").GetString()!;
                var command = result.GetProperty("command").GetString()!;
                var stream = result.GetProperty("kind").GetString() == "stream";
                Assert.Contains(" tunnel serve 127.0.0.1 ", command, StringComparison.Ordinal);
                Assert.Contains(" tunnel connect 127.0.0.1:", command, StringComparison.Ordinal);
                Assert.Equal(stream, command.Contains(" --live-output 1=127.0.0.1:", StringComparison.Ordinal)); // 24 bytes: the live-output direction
                Assert.Equal(path == "tunnel", command.Contains(" --no-compression", StringComparison.Ordinal));
                Assert.Equal(path == "tunnel-tls", command.Contains(" --tls-pin ", StringComparison.Ordinal));
                Assert.Equal(0, result.GetProperty("child").GetProperty("gc2").GetInt32());
                var tunnel = result.GetProperty("tunnel");
                Assert.True(tunnel.GetProperty("bytes").GetInt64() > 0);
                Assert.True(tunnel.GetProperty("bytesPerDatagram").GetDouble() > 0);
                var saving = tunnel.GetProperty("lz4SavingPercent");
                if (path == "tunnel" || !stream || !FastSpinnRelay.Tunnel.Compression.Lz4.IsAvailable)
                {
                    Assert.Equal(JsonValueKind.Null, saving.ValueKind); // no compression, or no batches (SCP is reliable)
                }
                else
                {
                    // The generator plays the board with the emulator's neuron keys: a realistic spike stream.
                    Assert.True(saving.GetDouble() >= 30, $"{path}: LZ4 saved {saving.GetDouble()} %");
                }
            }
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public async Task With_three_visualisers_live_output_paths_also_feed_two_more_that_the_bench_reads()
    {
        using var doc = await RunToJsonAsync(new BenchSettings
        {
            Paths = ["tunnel", "spalloc-live"],
            Workloads = ["stream"],
            Sizes = [24],
            Duration = TimeSpan.FromMilliseconds(200),
            Warmup = TimeSpan.Zero,
            Rate = 5_000,
            Visualisers = 3,
        });

        Assert.Equal(3, doc.RootElement.GetProperty("settings").GetProperty("visualisers").GetInt32());
        var results = doc.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(2, results.Count);
        foreach (var result in results)
        {
            var command = result.GetProperty("command").GetString()!;
            var tunnel = result.GetProperty("path").GetString() == "tunnel";
            Assert.True(tunnel
                ? Regex.IsMatch(command, @" --live-output 1=127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+ ")
                : Regex.Matches(command, @" --live-output 127\.0\.0\.1:\d+").Count == 3, command);

            // Both extra visualisers received (their counts are read while their loop still runs: not compared with the sink's).
            Assert.True(result.GetProperty("delivered").GetInt64() > 0, result.ToString());
            Assert.True(result.GetProperty("extraVisualiserFewest").GetInt64() > 0, result.ToString());
        }
    }

    [Fact]
    public async Task A_path_that_passes_nothing_fails_with_exit_code_1_and_a_clear_line()
    {
        var settings = new BenchSettings
        {
            Paths = ["peer"],
            PeerCommand = "sleep 30",
            Workloads = ["stream"],
            Sizes = [24],
            Duration = TimeSpan.FromMilliseconds(50),
            Warmup = TimeSpan.Zero,
            StartTimeout = TimeSpan.FromMilliseconds(300),
        };
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await BenchCommand.RunAsync(settings, output, error, CancellationToken.None);

        Assert.Equal((int)ExitCode.Failed, code);
        Assert.Contains("relay bench: 1 of 1 cell(s) failed; first: peer stream-24: nothing passed through", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("FAILED peer stream-24", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_engine_forwarder_forwards_and_returns_replies_to_the_last_sender()
    {
        using var target = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        using var client = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
        using var forwarder = new EngineForwarder(new IPEndPoint(IPAddress.Loopback, 0), target.LocalEndPoint);
        var entry = new UdpAddress(IPAddress.Loopback, forwarder.ListenPort);
        using var batch = new DatagramBatch();

        Assert.Equal(UdpStatus.Ok, client.SendTo("ping"u8, entry));
        var request = ReceiveOne(target, batch);
        Assert.Equal("ping"u8.ToArray(), request.Payload);

        Assert.Equal(UdpStatus.Ok, target.SendTo("pong"u8, request.Source));
        Assert.Equal("pong"u8.ToArray(), ReceiveOne(client, batch).Payload);
    }

    private static (byte[] Payload, UdpAddress Source) ReceiveOne(UdpSocket socket, DatagramBatch batch)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (socket.Receive(batch) == UdpStatus.Ok)
            {
                return (batch.GetPayload(0).ToArray(), batch.GetSource(0));
            }

            Thread.Sleep(1);
        }

        throw new TimeoutException("nothing arrived within 15 s");
    }

    /// <summary>Runs the bench with a JSON report, checks it exited 0, and returns the report.</summary>
    private static async Task<JsonDocument> RunToJsonAsync(BenchSettings settings)
    {
        var json = Path.Combine(Path.GetTempPath(), $"bench-test-{Guid.NewGuid():N}.json");
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var code = await BenchCommand.RunAsync(settings with { JsonOutput = json }, output, error, CancellationToken.None);
            Assert.True(code == 0, $"exit {code}: {error}\n{output}");
            return JsonDocument.Parse(File.ReadAllBytes(json));
        }
        finally
        {
            File.Delete(json);
        }
    }
}
