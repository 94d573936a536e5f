using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Spalloc.Client;

namespace FastSpinnRelay.Relay.Cli;

public static partial class SpallocCommand
{
    /// <summary>Runs a connection until cancelled or until it ends for good; prints the port table and writes the ports file.</summary>
    internal static async Task ConnectAsync(
        SpallocClient client, Uri job, SpallocConnectOptions options, TimeSpan waitTimeout, string? portsFile, TextWriter output, CancellationToken cancellationToken)
    {
        var connection = await SpallocConnection.StartAsync(client, job, options, waitTimeout, Console.Error, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            await output.WriteAsync(connection.DescribePorts()).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (portsFile is not null)
            {
                try
                {
                    await File.WriteAllTextAsync(portsFile, connection.PortsJson(), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new RelayToolException(ExitCode.Failed, $"cannot write --ports-file {portsFile}: {ex.Message}");
                }
            }

            string? ended = null;
            try
            {
                ended = await connection.Ended.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C or SIGTERM: the normal way to stop.
            }

            Log.Info(Component, $"connection to {job} closed; {connection.LiveDatagrams} live datagrams, {connection.Dropped} local datagrams dropped, {connection.Reconnects} reconnects");
            if (ended is not null)
            {
                throw new RelayToolException(ExitCode.Failed, ended);
            }
        }
    }

    /// <summary>The <c>connect</c> verb.</summary>
    private sealed class ConnectVerb
    {
        private static readonly SpallocConnectOptions Defaults = new();

        private readonly ClientOptions _client = new();
        private readonly Argument<string> _job = JobArgument();

        private readonly Option<IPAddress> _bind = new("--bind")
        {
            Description = $"Local address of every local port (default {Defaults.Bind}: only this host; 0.0.0.0 for every interface).",
            HelpName = "ADDR",
            CustomParser = r => ValueParsers.Address(r) ?? IPAddress.Loopback,
            DefaultValueFactory = _ => Defaults.Bind,
        };

        private readonly Option<string?> _portsFile = new("--ports-file") { Description = "Also write the port table as JSON to this file, for tools to read.", HelpName = "FILE" };

        private readonly Option<IPEndPoint[]> _liveOutput = new("--live-output")
        {
            Description = "Send every live-output datagram (EIEIO from an IP tag) to this visualiser; repeat for several (fan-out).",
            HelpName = "HOST:PORT",
            CustomParser = ParseEndPoints,
            AllowMultipleArgumentsPerToken = false,
        };

        private readonly Option<int?> _liveTag = new("--live-tag")
        {
            Description = "Point IP tag N (0-7) of every board at the live-output channel (IPTAG SET, STRIP + USE_SENDER, as spinnman). Default: the application sets its own tag.",
            HelpName = "N",
        };

        private readonly Option<SpallocLiveInput[]> _liveInput = new("--live-input")
        {
            Description = "Forward local UDP port LOCAL_PORT to BOARD_PORT (a reverse IP tag) on the board at X,Y; repeatable.",
            HelpName = "LOCAL_PORT=X,Y:BOARD_PORT",
            CustomParser = ParseLiveInputs,
        };

        private readonly Option<int> _scpPort = new("--board-scp-port")
        {
            Description = $"The boards' SCP port the channels open to (default {Defaults.BoardScpPort}; change only for emulators or gateways that move it).",
            HelpName = "PORT",
            DefaultValueFactory = _ => Defaults.BoardScpPort,
        };

        private readonly Option<int> _bootPort = new("--board-boot-port")
        {
            Description = $"The root board's boot port (default {Defaults.BoardBootPort}).",
            HelpName = "PORT",
            DefaultValueFactory = _ => Defaults.BoardBootPort,
        };

        private readonly Option<TimeSpan> _callTimeout = new("--call-timeout")
        {
            Description = $"How long each proxy call (open a channel) waits for its reply (default {Defaults.Proxy.CallTimeout.TotalSeconds:0}s).",
            HelpName = "DURATION",
            CustomParser = r => ValueParsers.Duration(r, "s"),
            DefaultValueFactory = _ => Defaults.Proxy.CallTimeout,
        };

        private readonly Option<TimeSpan> _keepalive = new("--keepalive-every")
        {
            Description = $"How often the job is kept alive while connected (default {Defaults.KeepaliveInterval.TotalSeconds:0}s; less than the job's keepalive interval).",
            HelpName = "DURATION",
            CustomParser = r => ValueParsers.Duration(r, "s"),
            DefaultValueFactory = _ => Defaults.KeepaliveInterval,
        };

        private readonly Option<int> _reconnectAttempts = new("--reconnect-attempts")
        {
            Description = $"Tries to reconnect after the websocket drops, waiting 0.5 s doubling to 8 s between tries, before giving up (default {Defaults.ReconnectAttempts}: over 2 min; 0: until stopped).",
            HelpName = "N",
            DefaultValueFactory = _ => Defaults.ReconnectAttempts,
        };

        public ConnectVerb()
        {
            Command = new Command(
                "connect",
                "Expose a READY job's boards as local UDP ports through the job's proxy websocket: one SCP port per board, a boot port for the root board, " +
                "live output to visualisers, live input to boards. Prints the port table; keeps the job alive; reconnects if the websocket drops. Stop with Ctrl+C.");
            _client.AddTo(Command, wait: true);
            Command.Arguments.Add(_job);
            foreach (var option in new Option[] { _bind, _portsFile, _liveOutput, _liveTag, _liveInput, _scpPort, _bootPort, _callTimeout, _keepalive, _reconnectAttempts })
            {
                Command.Options.Add(option);
            }

            // Custom parsers, not validators: a validator reading a value that did not convert throws out of the parse.
            _scpPort.CustomParser = r => ValueParsers.IntIn(r, 1, 65535);
            _bootPort.CustomParser = r => ValueParsers.IntIn(r, 1, 65535);
            _reconnectAttempts.CustomParser = r => ValueParsers.IntIn(r, 0, int.MaxValue);
            _liveTag.CustomParser = r => ValueParsers.IntIn(r, 0, 7);
            Command.SetAction((parse, ct) =>
            {
                InlineSocketCompletions.Prefer(); // before any socket: the client's completions are short and never block
                var options = new SpallocConnectOptions
                {
                    Bind = parse.GetValue(_bind)!,
                    BoardScpPort = parse.GetValue(_scpPort),
                    BoardBootPort = parse.GetValue(_bootPort),
                    LiveOutputs = parse.GetValue(_liveOutput) ?? [],
                    LiveTag = parse.GetValue(_liveTag),
                    LiveInputs = parse.GetValue(_liveInput) ?? [],
                    KeepaliveInterval = parse.GetValue(_keepalive),
                    ReconnectAttempts = parse.GetValue(_reconnectAttempts),
                    Proxy = new SpallocProxyOptions { CallTimeout = parse.GetValue(_callTimeout) },
                };
                var wait = _client.WithWait(parse).WaitTimeout;
                return RunClientAsync(_client.Settings(parse), async (client, token) =>
                {
                    var job = await client.JobUrlAsync(parse.GetValue(_job)!, token).ConfigureAwait(false);
                    await ConnectAsync(client, job, options, wait, parse.GetValue(_portsFile), Console.Out, token).ConfigureAwait(false);
                }, ct);
            });
        }

        public Command Command { get; }

        private static IPEndPoint[] ParseEndPoints(ArgumentResult result)
        {
            var list = new List<IPEndPoint>();
            foreach (var token in result.Tokens)
            {
                if (EndPointText.TryParseAddressPort(token.Value, minPort: 1, out var endPoint))
                {
                    list.Add(endPoint);
                }
                else
                {
                    result.AddError($"'{Log.Escape(token.Value, 60)}' is not HOST:PORT for --live-output (example: 127.0.0.1:17895)");
                }
            }

            return [.. list];
        }

        private static SpallocLiveInput[] ParseLiveInputs(ArgumentResult result)
        {
            var list = new List<SpallocLiveInput>();
            foreach (var token in result.Tokens)
            {
                var parts = token.Value.Split('=', ',', ':');
                if (parts.Length == 4
                    && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var local) && local is > 0 and <= 65535
                    && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var x)
                    && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var y)
                    && int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535)
                {
                    list.Add(new SpallocLiveInput(local, x, y, port));
                }
                else
                {
                    result.AddError($"'{Log.Escape(token.Value, 60)}' is not LOCAL_PORT=X,Y:BOARD_PORT for --live-input (example: 17900=0,0:12345)");
                }
            }

            return [.. list];
        }
    }
}
