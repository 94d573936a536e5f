using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using FastSpinnRelay.Relay.Bench;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// `relay bench`: drives datagrams through relay paths (each a child process, as deployed) and reports rates,
/// latency, CPU, GC and allocations beside a C baseline; `relay bench forwarder` is the UDP engine's minimal
/// forwarder that one of those paths runs.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var paths = ListOption("--paths", "PATH,...",
            $"Paths to measure, in order. Default: {string.Join(",", BenchPaths.DefaultNames)} (plus peer with --peer-cmd). Known: " +
            string.Join("; ", BenchPaths.Describe().Select(p => $"{p.Name} = {p.Description}")));
        var workloads = ListOption("--workloads", "NAME,...",
            "Workloads: stream (one-way, one per --sizes entry), rr1 and rr8 (SCP VER request/response with 1 or 8 outstanding). " +
            "Default: all (with --target: rr1,rr8)");
        var sizes = new Option<int[]?>("--sizes")
        {
            Description = $"Stream datagram sizes in bytes, {BenchSettings.MinSize} to {BenchSettings.MaxSize}. Default: 24,282,1042 (EIEIO, largest SCP, boot)",
            HelpName = "BYTES,...",
            CustomParser = ParseSizes,
        };
        // No DefaultValueFactory: help would print durations as 00:00:03. The defaults live in BenchSettings.
        var duration = DurationOption("--duration", "Measured time per cell (path x workload). Default: 3s");
        var warmup = DurationOption("--warmup", "Unmeasured traffic before each measurement. Default: 1s");
        var rate = new Option<long?>("--rate")
        {
            Description = "Stream datagrams per second, paced in small bursts; 0 = full speed. Default: 0",
            HelpName = "N",
        };
        var visualisers = new Option<int?>("--visualisers")
        {
            Description = $"Visualisers the live output goes to on tunnel and spalloc-live paths: the sink and N-1 more the bench reads (the relay's fan-out). 1 to {BenchSettings.MaxVisualisers}. Default: 1",
            HelpName = "N",
        };
        var repeat = new Option<int?>("--repeat")
        {
            Description = "Runs of every cell, interleaved across paths; the median run is reported (steadier on a busy machine). 1 to 20. Default: 1",
            HelpName = "N",
        };
        var responder = new Option<string?>("--responder")
        {
            Description = "What answers rr1/rr8: emulator (the board emulator, SCP VER) or echo (returns each request with the reply flag cleared; " +
                          "batched and cheaper, to measure relays alone). Default: emulator",
            HelpName = "NAME",
            CustomParser = ParseResponder,
        };
        var timeout = DurationOption("--timeout", "Request/response: resend a request unanswered this long. Default: 100ms");
        var target = new Option<string?>("--target")
        {
            Description = "Live mode: measure a running relay (or board) at HOST:PORT with SCP VER request/response only " +
                          "(harmless on real hardware); starts no children",
            HelpName = "HOST:PORT",
        };
        var peer = new Option<string?>("--peer-cmd")
        {
            Description = "Command of another relay to measure as path 'peer' (run with sh -c). Placeholders: {listen_addr} {listen_port} " +
                          "(where the bench sends), {target_addr} {target_port} (where it must forward: the sink or responder), " +
                          "{tunnel_port} (a spare free port), {relay} (this relay's command); {{ }} for literal braces. " +
                          "Example: --peer-cmd 'socat UDP4-LISTEN:{listen_port},bind={listen_addr},reuseaddr UDP4:{target_addr}:{target_port}'",
            HelpName = "'COMMAND'",
        };
        var relayBin = new Option<string?>("--relay-bin")
        {
            Description = "Relay binary for the children (a relay executable, or relay.dll to run with dotnet). Default: this binary",
            HelpName = "PATH",
        };
        var baselineBin = new Option<string?>("--baseline-bin")
        {
            Description = "The C baseline forwarder. Default: udpfwd next to the relay, else built from bench/baseline/build.sh in a source checkout",
            HelpName = "PATH",
        };
        var json = new Option<string?>("--json")
        {
            Description = "Also write the results as JSON: to standard output when no FILE is given (the tables then go to standard error)",
            HelpName = "FILE",
            Arity = ArgumentArity.ZeroOrOne,
            CustomParser = r => r.Tokens.Count == 0 ? "-" : r.Tokens[0].Value,
        };

        var command = new Command(
            "bench",
            "Measure relay paths: rates, loss, latency percentiles, CPU per datagram, GC and allocations (and, for tunnel paths, the " +
            "tunnel's bytes per datagram and the LZ4 saving), against the direct path and a C baseline in the same run. Each relay runs as a child process exactly as deployed, fresh for every cell. " +
            "Exit code 0, or 1 when a path failed to start or delivered nothing.")
        {
            paths, workloads, sizes, duration, warmup, rate, visualisers, repeat, responder, timeout, target, peer, relayBin, baselineBin, json,
        };
        command.Add(CreateForwarder());
        command.SetAction(async (parse, cancel) =>
        {
            var defaults = new BenchSettings();
            var settings = new BenchSettings
            {
                Paths = Given(parse, paths),
                Workloads = Given(parse, workloads),
                Sizes = Given(parse, sizes) ?? defaults.Sizes,
                Duration = parse.GetValue(duration) ?? defaults.Duration,
                Warmup = parse.GetValue(warmup) ?? defaults.Warmup,
                Rate = parse.GetValue(rate) ?? defaults.Rate,
                Repeat = parse.GetValue(repeat) ?? defaults.Repeat,
                Visualisers = parse.GetValue(visualisers) ?? defaults.Visualisers,
                RequestTimeout = parse.GetValue(timeout) ?? defaults.RequestTimeout,
                Responder = parse.GetValue(responder) ?? defaults.Responder,
                Target = parse.GetValue(target),
                PeerCommand = parse.GetValue(peer),
                RelayBinary = parse.GetValue(relayBin),
                BaselineBinary = parse.GetValue(baselineBin),
                JsonOutput = parse.GetValue(json),
            };
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            return await RunAsync(settings, output, error, cancel).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs the bench and writes its report; the exit code as an int.</summary>
    public static async Task<int> RunAsync(BenchSettings settings, TextWriter output, TextWriter error, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var problems = settings.GetProblems();
        if (problems.Count > 0)
        {
            throw new RelayToolException(ExitCode.Usage, string.Join("; ", problems)); // one line, as the other verbs
        }

        var jsonToStdout = settings.JsonOutput == "-";
        var text = jsonToStdout ? error : output;
        var progress = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected ? new ProgressLine(error) : null;
        var runner = new BenchRunner(settings, progress is null ? null : progress.Show);
        runner.Starting += run =>
        {
            BenchReport.WriteSettings(text, run);
            text.Flush();
        };

        BenchRun result;
        try
        {
            result = await Task.Run(() => runner.Run(cancel), cancel).ConfigureAwait(false);
        }
        finally
        {
            progress?.Clear();
        }

        BenchReport.WriteTables(text, result);
        if (settings.JsonOutput is { } jsonPath)
        {
            if (jsonToStdout)
            {
                using var stdout = Console.OpenStandardOutput();
                if (ReferenceEquals(output, Console.Out))
                {
                    BenchReport.WriteJson(stdout, result);
                }
                else
                {
                    using var buffer = new MemoryStream();
                    BenchReport.WriteJson(buffer, result);
                    output.Write(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
                }

                output.WriteLine();
            }
            else
            {
                try
                {
                    using var file = File.Create(jsonPath);
                    BenchReport.WriteJson(file, result);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new RelayToolException(ExitCode.Failed, $"cannot write --json {jsonPath}: {ex.Message}");
                }
            }
        }

        var failed = result.Cells.Where(c => !c.Ok).ToList();
        if (failed.Count > 0)
        {
            error.WriteLine($"relay bench: {failed.Count} of {result.Cells.Count} cell(s) failed; first: {failed[0].Path} {failed[0].Workload.Name}: {failed[0].Error}");
            return (int)ExitCode.Failed;
        }

        return (int)ExitCode.Ok;
    }

    private static Command CreateForwarder()
    {
        var listenAddress = new Argument<IPAddress>("LISTEN_ADDR") { Description = "Address to listen on", CustomParser = ParseAddress };
        var listenPort = new Argument<int>("LISTEN_PORT") { Description = "Port to listen on; 0 picks one (printed as 'listening on PORT')" };
        var targetAddress = new Argument<IPAddress>("TARGET_ADDR") { Description = "Where datagrams go", CustomParser = ParseAddress };
        var targetPort = new Argument<int>("TARGET_PORT") { Description = "Target port" };
        var command = new Command(
            "forwarder",
            "The UDP engine's minimal one-hop forwarder, the C# twin of bench/baseline/udpfwd (same arguments): datagrams to " +
            "LISTEN go to TARGET, replies go back to the last sender. `relay bench` runs it as the engine-hop path.")
        {
            listenAddress, listenPort, targetAddress, targetPort,
        };
        command.Validators.Add(r =>
        {
            foreach (var port in new[] { (listenPort, 0), (targetPort, 1) })
            {
                if (r.GetValue(port.Item1) is < 0 or > 65535 || (port.Item2 == 1 && r.GetValue(port.Item1) == 0))
                {
                    r.AddError($"{port.Item1.Name} {r.GetValue(port.Item1)} is not a port ({(port.Item2 == 0 ? 0 : 1)} to 65535)");
                }
            }
        });
        command.SetAction(async (parse, cancel) =>
        {
            using var forwarder = new EngineForwarder(
                new IPEndPoint(parse.GetValue(listenAddress)!, parse.GetValue(listenPort)),
                new IPEndPoint(parse.GetValue(targetAddress)!, parse.GetValue(targetPort)));
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"listening on {forwarder.ListenPort.ToString(CultureInfo.InvariantCulture)}");
            output.Flush();
            try
            {
                await Task.Delay(Timeout.Infinite, cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM or Ctrl+C: a normal stop.
            }

            return (int)ExitCode.Ok;
        });
        return command;
    }

    /// <summary>The value of a list option only when it was on the command line (null otherwise).</summary>
    private static T[]? Given<T>(ParseResult parse, Option<T[]?> option) =>
        parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) : null;

    private static Option<string[]?> ListOption(string name, string helpName, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = r => r.Tokens.Count == 0 ? null : [.. r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
    };

    private static Option<TimeSpan?> DurationOption(string name, string description) => new(name)
    {
        Description = description + " (250ms, 2s, 1m; a bare number is seconds)",
        HelpName = "TIME",
        CustomParser = r => r.Tokens.Count == 0 ? null : ValueParsers.Duration(r, "s"),
    };

    private static int[]? ParseSizes(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
        {
            return null;
        }

        var sizes = new List<int>();
        foreach (var text in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                sizes.Add(size);
            }
            else
            {
                result.AddError($"'{Diagnostics.Log.Escape(text, 40)}' is not a size in bytes for --sizes (example: --sizes 24,282,1042)");
            }
        }

        return [.. sizes];
    }

    /// <summary>One of <see cref="BenchSettings.Responders"/>; the error is one line (AcceptOnlyFromAmong's lists them on lines of their own).</summary>
    private static string? ParseResponder(ArgumentResult result)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (BenchSettings.Responders.Contains(token))
        {
            return token;
        }

        result.AddError($"'{Diagnostics.Log.Escape(token, 40)}' is not a responder for --responder ({string.Join(", ", BenchSettings.Responders)})");
        return null;
    }

    private static IPAddress ParseAddress(ArgumentResult result) => ValueParsers.Address(result) ?? IPAddress.None;

    /// <summary>A status line on a terminal's standard error, redrawn in place with a carriage return.</summary>
    private sealed class ProgressLine(TextWriter error)
    {
        private readonly Lock _gate = new();
        private int _width;

        public void Show(string line)
        {
            lock (_gate)
            {
                error.Write("\r" + line.PadRight(_width));
                _width = Math.Max(_width, line.Length);
                error.Flush();
            }
        }

        public void Clear()
        {
            lock (_gate)
            {
                if (_width > 0)
                {
                    error.Write("\r" + new string(' ', _width) + "\r");
                    error.Flush();
                    _width = 0;
                }
            }
        }
    }
}
