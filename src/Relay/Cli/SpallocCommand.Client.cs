using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Spalloc.Client;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>The client verbs of <c>relay spalloc</c>: each logs in to <c>--service</c> and makes one or a few calls.</summary>
public static partial class SpallocCommand
{
    private static void AddClientVerbs(Command command)
    {
        command.Subcommands.Add(Verb("machines", "List the service's machines (name, size in triads, tags).", async (c, ct) =>
        {
            foreach (var m in await c.ListMachinesAsync(ct).ConfigureAwait(false))
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Name}\t{m.Width}x{m.Height}\t{string.Join(",", m.Tags)}"));
            }
        }));
        command.Subcommands.Add(Verb("jobs", "List your jobs: URL and state.", async (c, ct) =>
        {
            foreach (var url in await c.ListJobsAsync(ct).ConfigureAwait(false))
            {
                var job = await c.GetJobAsync(url, false, ct).ConfigureAwait(false);
                Console.Out.WriteLine($"{url}\t{job.State}");
            }
        }));
        command.Subcommands.Add(new CreateVerb().Command);
        command.Subcommands.Add(JobVerb("wait", "Wait until the job is READY, showing each state on stderr; prints the proxy URL.", (c, job, o, ct) => WaitAsync(c, job, o, ct)));
        command.Subcommands.Add(JobVerb("destroy", "Destroy the job: the service frees its boards and closes its proxy connections.", async (c, job, _, ct) =>
        {
            await c.DestroyAsync(job, "destroyed by relay spalloc destroy", ct).ConfigureAwait(false);
            Console.Out.WriteLine($"{job}: destroyed");
        }));
        command.Subcommands.Add(new ConnectVerb().Command);
    }

    private static async Task WaitAsync(SpallocClient client, Uri job, ClientOptions options, CancellationToken cancellationToken)
    {
        var info = await client.WaitUntilReadyAsync(job, options.WaitTimeout, Console.Error, cancellationToken).ConfigureAwait(false);
        Console.Out.WriteLine($"{job}\t{info.State}\t{info.ProxyRef}");
    }

    /// <summary>Runs <paramref name="body"/> with a logged-in client; client failures become one line and an exit code.</summary>
    internal static async Task<int> RunClientAsync(ClientSettings settings, Func<SpallocClient, CancellationToken, Task> body, CancellationToken cancellationToken)
    {
        var credentials = SpallocCredentials.Resolve(settings.Service, settings.User, settings.Password, settings.Token, out var service, out var problem);
        if (credentials is null)
        {
            throw new RelayToolException(ExitCode.Usage, problem!);
        }

        var proxy = settings.HttpProxy ?? HttpProxyChoice.Environment;
        var route = proxy.Route(service);
        if (route.Proxy is not null)
        {
            Log.Info(Component, $"to {Log.Escape(service.IdnHost, 100)} through the HTTP proxy {route.DescribeProxy()} (from {route.Reason})");
        }

        using var client = new SpallocClient(service, credentials, new SpallocClientOptions
        {
            RequestTimeout = settings.RequestTimeout, Insecure = settings.Insecure, Proxy = proxy,
        });
        try
        {
            await body(client, cancellationToken).ConfigureAwait(false);
            return (int)ExitCode.Ok;
        }
        catch (SpallocClientException ex)
        {
            throw new RelayToolException(ex.Failure == SpallocFailure.Service ? ExitCode.Failed : ExitCode.Network, ex.Message);
        }
        catch (ArgumentException ex)
        {
            throw new RelayToolException(ExitCode.Usage, ex.Message);
        }
    }

    private static Command Verb(string name, string description, Func<SpallocClient, CancellationToken, Task> body)
    {
        var options = new ClientOptions();
        var command = new Command(name, description);
        options.AddTo(command, wait: false);
        command.SetAction((parse, ct) => RunClientAsync(options.Settings(parse), body, ct));
        return command;
    }

    private static Command JobVerb(string name, string description, Func<SpallocClient, Uri, ClientOptions, CancellationToken, Task> body)
    {
        var job = JobArgument();
        var options = new ClientOptions();
        var command = new Command(name, description);
        options.AddTo(command, wait: name == "wait");
        command.Arguments.Add(job);
        command.SetAction((parse, ct) => RunClientAsync(options.Settings(parse), async (client, token) =>
        {
            var url = await client.JobUrlAsync(parse.GetValue(job)!, token).ConfigureAwait(false);
            await body(client, url, options.WithWait(parse), token).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static Argument<string> JobArgument() => new("JOB") { Description = "The job: its number (from `create` or `jobs`) or its URL." };

    /// <summary>Where and how to log in, as given on the command line.</summary>
    internal sealed record ClientSettings(
        Uri Service, string? User, string? Password, string? Token, TimeSpan RequestTimeout, bool Insecure, HttpProxyChoice? HttpProxy = null);

    /// <summary>The options every client verb has: the service, credentials and time limits.</summary>
    internal sealed class ClientOptions
    {
        private readonly Option<Uri?> _service = new("--service")
        {
            Description = "The Spalloc service's base URL, e.g. https://spalloc.example.org/spalloc/ (may hold user:pass@; default: $SPALLOC_URL).",
            HelpName = "URL",
            CustomParser = ParseService,
        };

        private readonly Option<string?> _user = new("--user") { Description = $"User name for the login form (default: ${SpallocCredentials.UserVariable}).", HelpName = "NAME" };

        private readonly Option<string?> _password = new("--password")
        {
            Description = $"Password for the login form (default: ${SpallocCredentials.PasswordVariable}; prefer the variable, so it stays out of shell history).",
            HelpName = "PASSWORD",
        };

        private readonly Option<string?> _token = new("--token")
        {
            Description = $"Bearer token; used instead of a user name and password when given (default: ${SpallocCredentials.TokenVariable}).",
            HelpName = "TOKEN",
        };

        private readonly Option<TimeSpan> _timeout = new("--timeout")
        {
            Description = "Limit of each HTTP call (default 30s).",
            HelpName = "DURATION",
            CustomParser = r => ValueParsers.Duration(r, "s"),
            DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        };

        private readonly Option<TimeSpan> _waitTimeout = new("--wait-timeout")
        {
            Description = "How long to wait for the job to become READY (default 10m).",
            HelpName = "DURATION",
            CustomParser = r => ValueParsers.Duration(r, "s"),
            DefaultValueFactory = _ => TimeSpan.FromMinutes(10),
        };

        private readonly Option<bool> _insecure = new("--insecure") { Description = "Accept any TLS certificate (self-signed test gateways only)." };

        private readonly Option<HttpProxyChoice?> _httpProxy = HttpProxyOption.Create(
            "the service (its REST calls and the proxy websocket)", "https_proxy (http_proxy for an http:// service), then all_proxy");

        public TimeSpan WaitTimeout { get; private set; } = TimeSpan.FromMinutes(10);

        public void AddTo(Command command, bool wait)
        {
            foreach (var option in new Option[] { _service, _user, _password, _token, _timeout, _insecure, _httpProxy })
            {
                command.Options.Add(option);
            }

            if (wait)
            {
                command.Options.Add(_waitTimeout);
            }
        }

        public ClientSettings Settings(ParseResult parse) => new(
            parse.GetValue(_service) ?? ServiceFromEnvironment(),
            parse.GetValue(_user),
            parse.GetValue(_password),
            parse.GetValue(_token),
            parse.GetValue(_timeout),
            parse.GetValue(_insecure),
            parse.GetValue(_httpProxy));

        public ClientOptions WithWait(ParseResult parse)
        {
            if (parse.GetResult(_waitTimeout) is not null)
            {
                WaitTimeout = parse.GetValue(_waitTimeout);
            }

            return this;
        }

        private static Uri? ParseService(ArgumentResult result)
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value.Trim() : "";
            if (TryParseService(text, out var uri))
            {
                return uri;
            }

            result.AddError($"'{Log.Escape(text, 80)}' is not an http:// or https:// URL for --service");
            return null;
        }

        private static Uri ServiceFromEnvironment()
        {
            var text = Environment.GetEnvironmentVariable("SPALLOC_URL");
            return text is null
                ? throw new RelayToolException(ExitCode.Usage, "--service URL is required (or set SPALLOC_URL), e.g. https://spalloc.example.org/spalloc/")
                : TryParseService(text, out var uri) ? uri
                : throw new RelayToolException(ExitCode.Usage, $"SPALLOC_URL '{Log.Escape(text, 80)}' is not an http:// or https:// URL");
        }

        private static bool TryParseService(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? uri) =>
            Uri.TryCreate(text, UriKind.Absolute, out uri) && uri.Scheme is "http" or "https";
    }
}
