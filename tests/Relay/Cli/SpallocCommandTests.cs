using System.Text.RegularExpressions;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Spalloc;

namespace FastSpinnRelay.Relay.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class SpallocCommandTests : IDisposable
{
    // A directory of the test's own: serve leaves its state file's FILE.lock beside the file (by design), and a
    // state file in the shared temporary directory left one there per run.
    private readonly string _directory;
    private readonly string _config;

    public SpallocCommandTests()
    {
        _directory = Directory.CreateTempSubdirectory("spalloc-command-").FullName;
        _config = Path.Combine(_directory, "spalloc.json");
    }

    [Fact]
    public async Task A_bad_configuration_prints_one_line_per_problem_and_exits_2()
    {
        File.WriteAllText(_config, """{"machine": {"name": "m", "boards": [{"triad": [0, 0, 9]}]}, "users": []}""");
        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr("spalloc", "serve", "--config", _config, "--listen", "127.0.0.1:0");
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains(lines, l => l.EndsWith("machine.boards[0].triad: must be [x, y, z] with x and y 0-255 and z 0-2", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("machine.boards[0].address: missing (the IPv4 address of the board's Ethernet interface)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.EndsWith("users: must list at least one user", StringComparison.Ordinal));
        Assert.Equal(4, lines.Length);   // three problems and the pointer to --help
    }

    [Fact]
    public async Task A_missing_configuration_file_is_named_once_as_the_prefix()
    {
        var missing = Path.Combine(_directory, "missing.json");
        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr("spalloc", "serve", "--config", missing, "--listen", "127.0.0.1:0");
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.StartsWith($"relay spalloc serve: {missing}: cannot read: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain($"{missing}: {missing}", lines[0], StringComparison.Ordinal); // the path as a prefix once (the system's message may name it again)
    }

    [Fact]
    public async Task Bad_flags_exit_2_naming_them()
    {
        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr("spalloc", "serve", "--config", _config, "--listen", "nowhere");
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains(lines, l => l.Contains("'nowhere' is not ADDR:PORT for --listen", StringComparison.Ordinal));

        WriteValid();
        (code, lines) = await ConsoleCollection.InvokeCapturingStderr("spalloc", "serve", "--config", _config, "--base-path", "no-slash", "--tls-key", "k.pem");
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains(lines, l => l.Contains("base path 'no-slash' must start with '/'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("--tls-key needs --tls-cert", StringComparison.Ordinal));

        (code, lines) = await ConsoleCollection.InvokeCapturingStderr("spalloc", "serve", "--config", _config, "--state-file", Path.GetTempPath());
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.Contains(lines, l => l.Contains("must name a file, not a directory", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Serve_starts_on_a_free_port_and_stops_on_cancel()
    {
        WriteValid();
        var config = SpallocConfigReader.TryRead(_config, out _, out var problems);
        Assert.True(config, string.Join("\n", problems));
        using var cancel = new CancellationTokenSource();
        using var output = new StringWriter();
        var run = Serve(output, cancel.Token);
        Assert.True(TestSupport.Loopback.WaitUntil(() => output.ToString().Contains("relay spalloc serve: m (1 board(s)) for 1 user(s) at http://127.0.0.1:", StringComparison.Ordinal)));
        await cancel.CancelAsync();
        Assert.Equal((int)ExitCode.Ok, await run.WaitAsync(TestSupport.Loopback.Limit));
    }

    [Fact]
    public async Task Stopping_logs_the_proxy_counters_and_the_refused_logins()
    {
        WriteValid();
        var original = Log.Output;
        var text = new StringWriter();
        var log = TextWriter.Synchronized(text);
        Log.Output = log; // the Console collection runs alone, so swapping the log's writer is safe
        try
        {
            using var cancel = new CancellationTokenSource();
            using var output = new StringWriter();
            var run = Serve(output, cancel.Token);
            Match? at = null;
            Assert.True(TestSupport.Loopback.WaitUntil(() => (at = Regex.Match(output.ToString(), @" at (http://\S+) ")).Success || run.IsCompleted));
            using (var http = new Spalloc.TestSupport.SpallocHttp(new Uri(at!.Groups[1].Value)))
            using (var refused = await http.LoginAsync("not-a-token"))
            {
                Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
            }

            await cancel.CancelAsync();
            Assert.Equal((int)ExitCode.Ok, await run.WaitAsync(TestSupport.Loopback.Limit));
            string written;
            lock (log)
            {
                written = text.ToString();
            }

            Assert.Contains("stopping; websockets 0 accepted/0 closed", written, StringComparison.Ordinal);
            Assert.Contains("; logins refused: 1 (0 throttled without a check, 0 known wrong tokens)", written, StringComparison.Ordinal);
        }
        finally
        {
            Log.Output = original;
        }
    }

    [Fact]
    public async Task Check_reads_what_a_start_would_and_serves_nothing()
    {
        WriteValid();
        var state = Path.Combine(_directory, "jobs.json");
        using var output = new StringWriter();

        Assert.Equal((int)ExitCode.Ok, await Check(output, state));

        Assert.Equal($"relay spalloc serve: configuration OK: m (1 board(s)) for 1 user(s); no state file at {state} yet (made at the first job)", output.ToString().Trim());
        Assert.False(File.Exists(state));
        Assert.False(File.Exists(state + ".lock")); // not claimed: a running server's file can be checked
    }

    [Fact]
    public async Task Check_counts_the_jobs_of_a_state_file_and_stops_at_a_corrupt_one_with_the_start_exit_code()
    {
        WriteValid();
        var state = Path.Combine(_directory, "jobs.json");
        File.WriteAllText(state, """{"format": 1, "last-job-id": 3, "jobs": []}""");
        using var output = new StringWriter();
        Assert.Equal((int)ExitCode.Ok, await Check(output, state));
        Assert.EndsWith($"; 0 job(s) in {state}", output.ToString().Trim(), StringComparison.Ordinal);

        File.WriteAllText(state, """{"format": 1, "last-job-id": 3, "jobs": [""");
        var failure = await Assert.ThrowsAsync<RelayToolException>(() => Check(TextWriter.Null, state));
        Assert.Equal(ExitCode.Failed, failure.Code);
        Assert.StartsWith($"job state file {state}: it is not valid state JSON", failure.Message, StringComparison.Ordinal);
        Assert.Equal("""{"format": 1, "last-job-id": 3, "jobs": [""", File.ReadAllText(state));
    }

    [Fact]
    public async Task Check_stops_at_a_certificate_that_cannot_be_loaded_with_exit_code_2()
    {
        WriteValid();
        var certificate = Path.Combine(_directory, "tls.pem");
        File.WriteAllText(certificate, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr("spalloc", "serve", "--config", _config, "--tls-cert", certificate, "--check");
        Assert.Equal((int)ExitCode.Usage, code);
        Assert.StartsWith($"relay: cannot load the TLS certificate {certificate}", Assert.Single(lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_certificate_that_cannot_be_loaded_is_named_and_exits_2_not_3()
    {
        WriteValid();
        var certificate = Path.Combine(_directory, "tls.pem");
        File.WriteAllText(certificate, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        var (code, lines) = await ConsoleCollection.InvokeCapturingStderr("spalloc", "serve", "--config", _config, "--listen", "127.0.0.1:0", "--tls-cert", certificate);
        Assert.Equal((int)ExitCode.Usage, code); // a restart would not fix it (3 would have a service manager retry)
        var line = Assert.Single(lines);
        Assert.StartsWith($"relay: cannot load the TLS certificate {certificate}", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_corrupt_state_file_stops_the_start_with_one_line_naming_it_and_exits_1()
    {
        WriteValid();
        var state = _config + ".state";
        File.WriteAllText(state, """{"format": 1, "last-job-id": 3, "jobs": [""");
        try
        {
            var (code, lines) = await ConsoleCollection.InvokeCapturingStderr("spalloc", "serve", "--config", _config, "--listen", "127.0.0.1:0", "--state-file", state);
            Assert.Equal((int)ExitCode.Failed, code);
            var line = Assert.Single(lines);
            Assert.StartsWith($"relay: job state file {state}: it is not valid state JSON", line, StringComparison.Ordinal);
            Assert.EndsWith("(fix it, or move it aside to start with no jobs)", line, StringComparison.Ordinal);
            Assert.Equal("""{"format": 1, "last-job-id": 3, "jobs": [""", File.ReadAllText(state));
        }
        finally
        {
            File.Delete(state);
        }
    }

    [Fact]
    public async Task Serve_with_a_state_file_says_so_and_creates_it()
    {
        WriteValid();
        var state = _config + ".state";
        using var cancel = new CancellationTokenSource();
        using var output = new StringWriter();
        try
        {
            var run = Serve(output, cancel.Token, state);
            Assert.True(TestSupport.Loopback.WaitUntil(() => output.ToString().Contains($"jobs kept in {state}", StringComparison.Ordinal) || run.IsCompleted));
            Assert.True(File.Exists(state));
            await cancel.CancelAsync();
            Assert.Equal((int)ExitCode.Ok, await run.WaitAsync(TestSupport.Loopback.Limit));
        }
        finally
        {
            File.Delete(state);
        }
    }

    [Fact]
    public async Task Hash_token_prints_a_hash_that_matches_the_token()
    {
        var original = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            Assert.Equal(0, await RelayCommandLine.InvokeAsync(["spalloc", "hash-token", "my-token"]));
        }
        finally
        {
            Console.SetOut(original);
        }

        Assert.True(TokenHash.TryParse(captured.ToString().Trim(), out var hash, out _));
        Assert.True(hash.Matches("my-token"));
    }

    [Fact]
    public void Help_states_the_defaults()
    {
        var help = new StringWriter();
        var root = RelayCommandLine.Build();
        root.Parse(["spalloc", "serve", "--help"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = help });
        var text = help.ToString();
        Assert.Contains("default 127.0.0.1:8080", text, StringComparison.Ordinal);
        Assert.Contains("default /spalloc", text, StringComparison.Ordinal);
        Assert.Contains("--tls-cert", text, StringComparison.Ordinal);
        Assert.Contains("--state-file", text, StringComparison.Ordinal);
        Assert.Contains("survive a restart", text, StringComparison.Ordinal);
        Assert.Contains("SIGHUP (systemctl reload) reads --config again", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reload_of_a_file_a_start_would_refuse_keeps_the_running_configuration_and_logs_what_a_start_prints()
    {
        WriteValid();
        var flags = new FastSpinnRelay.Relay.Spalloc.Server.SpallocServerOptions { Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0) };
        Assert.True(SpallocCommand.TryReadConfig(_config, flags, out var config, out var problems), string.Join("\n", problems));
        await using var server = await FastSpinnRelay.Relay.Spalloc.Server.SpallocServer.StartAsync(config);
        var running = server.Config;
        File.WriteAllText(_config, """{"machine": {"name": "m", "boards": [{"triad": [0, 0, 9]}]}, "users": []}""");
        var (code, started) = await ConsoleCollection.InvokeCapturingStderr("spalloc", "serve", "--config", _config, "--listen", "127.0.0.1:0");
        Assert.Equal((int)ExitCode.Usage, code);
        var counters = new ReloadCounters();

        var (applied, written) = WithLog(() => SpallocCommand.Reload(server, _config, flags, counters));

        Assert.False(applied);
        Assert.Same(running, server.Config);
        Assert.Equal((0, 1), (counters.Applied, counters.Refused));
        Assert.Equal("reloads: 0 applied, 1 refused", counters.ToString());
        var startProblems = started.Where(l => l.StartsWith("relay spalloc serve: ", StringComparison.Ordinal)).Select(l => l["relay spalloc serve: ".Length..]).ToList();
        Assert.Equal(3, startProblems.Count);
        foreach (var problem in startProblems)
        {
            Assert.Contains($"error spalloc: reload refused, still serving the configuration read before: {problem}", written, StringComparison.Ordinal);
        }

        // Fixed again: applied, one line saying what changed (nothing), nothing else logged.
        WriteValid();
        (applied, written) = WithLog(() => SpallocCommand.Reload(server, _config, flags, counters));
        Assert.True(applied);
        Assert.Equal("reloads: 1 applied, 1 refused", counters.ToString());
        Assert.EndsWith($"info  spalloc: reloaded {_config}: new token: u", written.Trim(), StringComparison.Ordinal); // WriteValid hashes the token afresh
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Runs <paramref name="action"/> with the log written to a string (the Console collection runs alone, so swapping the log's writer is safe).</summary>
    private static (T Result, string Written) WithLog<T>(Func<T> action)
    {
        var original = Log.Output;
        var text = new StringWriter();
        Log.Output = TextWriter.Synchronized(text);
        try
        {
            var result = action();
            Log.Output.Flush();
            return (result, text.ToString());
        }
        finally
        {
            Log.Output = original;
        }
    }


    /// <summary>`relay spalloc serve` with this test's configuration on a free loopback port, until <paramref name="cancel"/>.</summary>
    private Task<int> Serve(TextWriter output, CancellationToken cancel, string? stateFile = null) => SpallocCommand.ServeAsync(
        _config,
        new FastSpinnRelay.Relay.Spalloc.Server.SpallocServerOptions { Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), StateFilePath = stateFile },
        output,
        cancel);
    private Task<int> Check(TextWriter output, string stateFile) => SpallocCommand.ServeAsync(
        _config,
        new FastSpinnRelay.Relay.Spalloc.Server.SpallocServerOptions { Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0), StateFilePath = stateFile },
        output,
        CancellationToken.None,
        checkOnly: true);

    private void WriteValid() => File.WriteAllText(_config, $$"""
        {"machine": {"name": "m", "boards": [{"triad": [0, 0, 0], "address": "127.0.0.1"}]},
         "users": [{"name": "u", "token-hash": "{{TokenHash.Create("t", TokenHash.MinIterations)}}"}]}
        """);
}
