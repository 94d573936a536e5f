using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Spalloc.Client;

namespace FastSpinnRelay.Relay.Cli;

public static partial class SpallocCommand
{
    /// <summary>The <c>create</c> verb: one job by number of boards, board, rectangle, or rectangle at a board.</summary>
    private sealed class CreateVerb
    {
        private readonly ClientOptions _client = new();

        private readonly Option<int?> _boards = new("--boards") { Description = "Number of boards (first fit; exclusive with --rectangle and the board options).", HelpName = "N" };

        private readonly Option<int[]?> _triad = new("--triad") { Description = "One board by triad coordinates X,Y,Z (or the root of --rectangle).", HelpName = "X,Y,Z", CustomParser = r => Numbers(r, 3), Arity = ArgumentArity.ExactlyOne };

        private readonly Option<int[]?> _physical = new("--physical") { Description = "One board by position CABINET,FRAME,BOARD (or the root of --rectangle).", HelpName = "C,F,B", CustomParser = r => Numbers(r, 3), Arity = ArgumentArity.ExactlyOne };

        private readonly Option<string?> _ip = new("--ip") { Description = "One board by its Ethernet IPv4 address (or the root of --rectangle).", HelpName = "ADDR" };

        private readonly Option<int[]?> _rectangle = new("--rectangle") { Description = "A rectangle of WIDTHxHEIGHT triads (3 boards each), at the board given or anywhere.", HelpName = "WxH", CustomParser = r => Numbers(r, 2), Arity = ArgumentArity.ExactlyOne };

        private readonly Option<string?> _machine = new("--machine") { Description = "The machine's name (default: any machine tagged \"default\", as spinnman).", HelpName = "NAME" };

        private readonly Option<TimeSpan> _keepalive = new("--keepalive")
        {
            Description = "The service destroys the job when no keepalive comes for this long (default 120s, as spinnman). `connect` keeps it alive.",
            HelpName = "DURATION",
            CustomParser = r => ValueParsers.Duration(r, "s"),
            DefaultValueFactory = _ => TimeSpan.FromSeconds(120),
        };

        private readonly Option<int?> _maxDead = new("--max-dead-boards") { Description = "Missing boards a rectangle may have (default 0).", HelpName = "N" };

        private readonly Option<bool> _wait = new("--wait") { Description = "Then wait until the job is READY (progress on stderr, limit --wait-timeout)." };

        public CreateVerb()
        {
            Command = new Command("create", "Create a job; prints its number and URL. Give --boards N, or a board (--triad, --physical or --ip), and/or --rectangle.");
            _client.AddTo(Command, wait: true);
            foreach (var option in new Option[] { _boards, _triad, _physical, _ip, _rectangle, _machine, _keepalive, _maxDead, _wait })
            {
                Command.Options.Add(option);
            }

            Command.SetAction((parse, ct) =>
            {
                var request = Request(parse);
                if (request.Problem() is { } problem)
                {
                    throw new RelayToolException(ExitCode.Usage, problem);
                }

                var options = _client.WithWait(parse);
                return RunClientAsync(_client.Settings(parse), async (client, token) =>
                {
                    var job = await client.CreateJobAsync(request, token).ConfigureAwait(false);
                    Console.Out.WriteLine($"{job.Segments[^1].TrimEnd('/')}\t{job}");
                    if (parse.GetValue(_wait))
                    {
                        await WaitAsync(client, job, options, token).ConfigureAwait(false);
                    }
                }, ct);
            });
        }

        public Command Command { get; }

        private SpallocJobRequest Request(ParseResult parse)
        {
            var triad = parse.GetValue(_triad);
            var physical = parse.GetValue(_physical);
            var rectangle = parse.GetValue(_rectangle);
            return new SpallocJobRequest
            {
                NumBoards = parse.GetValue(_boards),
                Triad = triad is not { Length: 3 } ? null : (triad[0], triad[1], triad[2]),
                Physical = physical is not { Length: 3 } ? null : (physical[0], physical[1], physical[2]),
                Address = parse.GetValue(_ip),
                Rectangle = rectangle is not { Length: 2 } ? null : (rectangle[0], rectangle[1]),
                MachineName = parse.GetValue(_machine),
                Keepalive = parse.GetValue(_keepalive),
                MaxDeadBoards = parse.GetValue(_maxDead),
            };
        }

        private static int[]? Numbers(ArgumentResult result, int count)
        {
            var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            var parts = text.Split(count == 2 ? ['x', 'X', ','] : [','], StringSplitOptions.TrimEntries);
            var values = new int[count];
            var ok = parts.Length == count;
            for (var i = 0; ok && i < count; i++)
            {
                ok = int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]);
            }

            if (ok)
            {
                return values;
            }

            result.AddError($"'{Log.Escape(text, 40)}' is not {(count == 2 ? "WIDTHxHEIGHT" : "three numbers A,B,C")} for {result.Parent}");
            return null;
        }
    }
}
