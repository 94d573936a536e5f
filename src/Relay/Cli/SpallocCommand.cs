using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Relay.Spalloc;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// <c>relay spalloc</c>: <c>serve</c> runs the Spalloc service and proxy for a configured machine until Ctrl+C;
/// <c>hash-token</c> prints the stored form of a user's bearer token for the configuration file; the client verbs
/// (<c>machines</c>, <c>jobs</c>, <c>create</c>, <c>wait</c>, <c>destroy</c>, <c>connect</c>) are in SpallocCommand.Client.cs.
/// </summary>
public static partial class SpallocCommand
{
    private const string Component = "spalloc";

    private static readonly SpallocServerOptions Defaults = new();

    /// <summary>Builds the <c>spalloc</c> verb with its two sub-verbs (new options per call, so options never have two parents).</summary>
    public static Command Create()
    {
        var command = new Command("spalloc", "The Spalloc service: serve a machine's boards to spinnman over websockets (serve), or use a Spalloc service as a client: list, create, wait for and destroy jobs, and connect a job's boards to local UDP ports (connect).");
        command.Subcommands.Add(new Serve().Command);
        command.Subcommands.Add(HashToken());
        AddClientVerbs(command);
        return command;
    }

    /// <summary>
    /// Runs a server until <paramref name="cancellationToken"/> fires, logging its counters every
    /// <paramref name="statsInterval"/> (none when zero) and when stopping, and recording them for the exit report;
    /// bad configuration: one line per problem and exit code 2.
    /// </summary>
    public static async Task<int> ServeAsync(
        string configPath, SpallocServerOptions overrides, TextWriter output, CancellationToken cancellationToken, TimeSpan statsInterval = default,
        bool checkOnly = false)
    {
        if (!TryReadConfig(configPath, overrides, out var config, out var problems))
        {
            return Usage(problems);
        }

        SpallocServer server;
        try
        {
            if (checkOnly)
            {
                return await CheckAsync(config, output).ConfigureAwait(false);
            }

            server = await SpallocServer.StartAsync(config, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (!checkOnly)
        {
            throw new RelayToolException(ExitCode.Network, $"cannot serve on {config.Server.Listen}: {ex.Message}");
        }
        catch (SpallocCertificateException ex)
        {
            throw new RelayToolException(ExitCode.Usage, ex.Message);
        }
        catch (SpallocStateFileException ex)
        {
            throw new RelayToolException(ExitCode.Failed, ex.Message);
        }

        await using (server.ConfigureAwait(false))
        {
            // SIGHUP (systemctl reload) from now on: before the start line, so whoever waits for it may send one.
            var reloads = new ReloadCounters();
            using var hangup = HangupReloads.Start(
                Component, configPath, () => Task.FromResult(Reload(server, configPath, overrides, reloads)), reloads, cancellationToken);
            var machine = config.Machine;
            var kept = config.Server.StateFilePath is { } state ? $"jobs kept in {state}" : "jobs in memory only (--state-file keeps them across restarts)";
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"relay spalloc serve: {machine.Name} ({machine.Boards.Count} board(s)) for {config.Users.Count} user(s) at {server.BaseUri} " +
                $"(websockets at {config.Server.NormalizedBasePath}/proxy/JOB); {kept}")).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            await CountersSchedule.LogUntilStoppedAsync(statsInterval, () => Log.Info(Component, $"stats; {server.Counters}; {server.Memory}; {server.Logins}; {reloads}"), cancellationToken)
                .ConfigureAwait(false);
            Log.Info(Component, $"stopping; {server.Counters}; {server.Memory}; {server.Logins}; {reloads}");
            await hangup.Completion.ConfigureAwait(false);
            RecordExitCounters(server.Counters, reloads);
        }

        return (int)ExitCode.Ok;
    }

    /// <summary>
    /// <c>--check</c>: what a start would read, read without serving (nothing bound, the state file not locked or
    /// written): the configuration and flags (already checked by the caller), the TLS certificate and the job state file.
    /// One line saying what was found, exit code 0; or the first problem as the start's exception (the caller maps both
    /// alike to their exit codes).
    /// </summary>
    private static async Task<int> CheckAsync(SpallocConfig config, TextWriter output)
    {
        var found = new List<string> { $"{config.Machine.Name} ({config.Machine.Boards.Count} board(s)) for {config.Users.Count} user(s)" };
        if (config.Server.TlsCertificatePath is { } certPath)
        {
            using var certificate = SpallocServer.LoadCertificate(certPath, config.Server.TlsKeyPath);
            found.Add($"TLS certificate {certificate.Subject}, valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd} UTC");
        }

        if (config.Server.StateFilePath is { } statePath)
        {
            var document = new Spalloc.Server.Internal.JobStateFile(statePath).Load();
            found.Add(document is null ? $"no state file at {statePath} yet (made at the first job)" : $"{document.Jobs!.Count} job(s) in {statePath}");
        }

        await output.WriteLineAsync($"relay spalloc serve: configuration OK: {string.Join("; ", found)}").ConfigureAwait(false);
        return (int)ExitCode.Ok;
    }

    /// <summary>The proxy's totals and the reloads in the exit report (<see cref="ExitReport.Record"/>), as the tunnel's verbs record theirs.</summary>
    internal static void RecordExitCounters(SpallocProxyCounters counters, ReloadCounters reloads)
    {
        reloads.RecordExit("spalloc");
        ExitReport.Record("spallocWebSocketsAccepted", counters.WebSocketsAccepted);
        ExitReport.Record("spallocDatagramsToBoards", counters.DatagramsToBoards);
        ExitReport.Record("spallocDatagramsFromBoards", counters.DatagramsFromBoards);
        ExitReport.Record("spallocLiveFramesDropped", counters.LiveFramesDropped);
        ExitReport.Record("spallocRepliesDropped", counters.RepliesDropped);
        ExitReport.Record("spallocSendFailures", counters.SendFailures);
    }

    private static int Usage(IEnumerable<string> problems)
    {
        foreach (var problem in problems)
        {
            Console.Error.WriteLine($"{Log.ErrorPrefix}relay spalloc serve: {RelayCommandLine.ErrorLine(problem)}"); // may quote the file's bytes
        }

        Console.Error.WriteLine("Run 'relay spalloc serve --help' for usage; the file format is in docs/spalloc-serve.md.");
        return (int)ExitCode.Usage;
    }

    private static Command HashToken()
    {
        var token = new Argument<string?>("TOKEN")
        {
            Description = "The user's bearer token (omit it to make a new random one, printed with its hash). Prefer '-' to read it from standard input, so it stays out of shell history.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command(
            "hash-token",
            "Print the stored form of a bearer token (PBKDF2-SHA256, salted) for a user's \"token-hash\" in the configuration file. " +
            "The user logs in with the token itself; the file holds only the hash.");
        command.Arguments.Add(token);
        command.SetAction(parse =>
        {
            var given = parse.GetValue(token);
            if (given == "-")
            {
                given = Console.In.ReadLine()?.Trim();
            }

            if (given is { Length: 0 })
            {
                throw new RelayToolException(ExitCode.Usage, "the token is empty");
            }

            if (given is null)
            {
                given = TokenHash.NewToken();
                Console.Out.WriteLine($"token: {given}");
                Console.Out.WriteLine($"token-hash: {TokenHash.Create(given)}");
            }
            else
            {
                Console.Out.WriteLine(TokenHash.Create(given));
            }

            return (int)ExitCode.Ok;
        });
        return command;
    }

    /// <summary>The <c>serve</c> verb: typed options, defaults from <see cref="SpallocServerOptions"/>.</summary>
    private sealed class Serve
    {
        private readonly Option<string> config = new("--config")
        {
            Description = "The configuration file: the machine (name, boards with triad or Ethernet chip and IP address) and the users (name, token-hash, admin). Format: docs/spalloc-serve.md.",
            HelpName = "FILE",
            Required = true,
        };

        private readonly Option<IPEndPoint> listen = new("--listen")
        {
            Description = $"Address and port to serve HTTP(S) and websockets on (default {Defaults.Listen}; 0.0.0.0:PORT for every interface; port 0 picks a free one).",
            HelpName = "ADDR:PORT",
            CustomParser = ParseListen,
            DefaultValueFactory = _ => Defaults.Listen,
        };

        private readonly Option<string> basePath = new("--base-path")
        {
            Description = $"Path prefix of every resource (default {Defaults.BasePath}, as the public service; the websocket is BASE/proxy/JOB).",
            HelpName = "PATH",
            DefaultValueFactory = _ => Defaults.BasePath,
        };

        private readonly Option<string?> tlsCert = new("--tls-cert")
        {
            Description = "Serve HTTPS/WSS with this certificate: PEM (key inside, or in --tls-key) or PKCS#12 without a password (default: plain HTTP; spinnman only speaks https, so then put a TLS proxy in front).",
            HelpName = "FILE",
        };

        private readonly Option<string?> tlsKey = new("--tls-key")
        {
            Description = "PEM private key for --tls-cert, when the certificate file does not hold it.",
            HelpName = "FILE",
        };

        private readonly Option<string?> stateFile = new("--state-file")
        {
            Description = "Keep jobs in this file, so they survive a restart: rewritten atomically (temporary file, fsync, rename) at every change, " +
                "loaded at start (jobs whose keepalive lapsed meanwhile are expired; an unreadable file stops the start with the reason). " +
                "Default: none, jobs live in memory and stopping the server destroys them. Users log in again after a restart either way.",
            HelpName = "FILE",
        };

        private readonly Option<TimeSpan> statsInterval = StatsIntervalOption.Create("the proxy's and the logins' counters");

        private readonly Option<bool> check = new("--check")
        {
            Description = "Read the configuration, flags, TLS certificate and state file as a start would, say what was found, and exit (0, or the start's exit code) without serving.",
        };

        public Serve()
        {
            Command = new Command(
                "serve",
                "Serve the Spalloc API and proxy websocket for one machine, so unmodified spinnman (SpallocClient) can create jobs over the " +
                "configured boards and reach them through the gateway: SCP, boot and live output, with per-user bearer tokens. Stop with Ctrl+C. " +
                "SIGHUP (systemctl reload) reads --config again without dropping anyone: users and the job and session limits change at once, " +
                "the rest waits for a restart (docs/spalloc-serve.md).");
            Command.Options.Add(config);
            Command.Options.Add(listen);
            Command.Options.Add(basePath);
            Command.Options.Add(tlsCert);
            Command.Options.Add(tlsKey);
            Command.Options.Add(stateFile);
            Command.Options.Add(statsInterval);
            Command.Options.Add(check);
            Command.SetAction((parse, ct) => ServeAsync(
                parse.GetValue(config)!,
                new SpallocServerOptions
                {
                    Listen = parse.GetValue(listen)!,
                    BasePath = parse.GetValue(basePath)!,
                    TlsCertificatePath = parse.GetValue(tlsCert),
                    TlsKeyPath = parse.GetValue(tlsKey),
                    StateFilePath = parse.GetValue(stateFile),
                },
                Console.Out,
                ct,
                parse.GetValue(statsInterval),
                parse.GetValue(check)));
        }

        public Command Command { get; }

        private static IPEndPoint ParseListen(ArgumentResult result)
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value.Trim() : "";
            if (EndPointText.TryParseAddressPort(text, minPort: 0, out var endPoint))
            {
                return endPoint;
            }

            result.AddError($"'{Log.Escape(text, 80)}' is not ADDR:PORT for --listen (examples: 0.0.0.0:8443, 127.0.0.1:8080, [::]:8443)");
            return Defaults.Listen;
        }
    }
}
