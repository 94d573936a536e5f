using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Tunneling.Internal;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tunnel.Transport;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// <c>relay tunnel serve BOARD</c> (next to the board) and <c>relay tunnel connect SERVER:PORT</c> (next to the user):
/// the tunnel wired to UDP endpoints. See README "Over the internet: the tunnel".
/// </summary>
public static class TunnelWireCommands
{
    private static readonly Option<FileInfo?> KeyFile = new("--key-file", "-k")
    {
        Description = "The pre-shared key file (from `relay tunnel keygen -o FILE`), the same at both ends. Optional when client " +
                      "certificates are used instead (serve --tls-client-allow, connect --tls-client-cert).",
        HelpName = "FILE",
    };

    private static readonly Option<bool> Quiet = new("--quiet", "-q")
    {
        Description = "Don't print the connection log (warnings and errors still go to stderr).",
    };

    private static readonly Option<TimeSpan> StatsInterval =
        StatsIntervalOption.Create("each session's counters (state, sent, received, dropped, resent, LZ4 saving)");

    private static readonly Option<bool> NoCompression = new("--no-compression")
    {
        Description = "Don't offer LZ4: then no batch is compressed in either direction (to compare, or to save CPU on a fast link).",
    };

    /// <summary>The most <c>--max-sessions</c> takes (each session holds a UDP socket per channel towards the board).</summary>
    private const int MaxSessionsLimit = 4096;

    /// <summary>The <c>serve</c> verb.</summary>
    public static Command CreateServe()
    {
        var board = new Argument<string>("board") { Description = "Host name or address of the SpiNNaker board." };
        var listen = new Option<IPEndPoint>("--listen")
        {
            Description = "Where tunnel clients connect (TCP).",
            HelpName = "ADDR:PORT",
            CustomParser = r => ParseEndPoint(r, "--listen"),
            DefaultValueFactory = _ => new IPEndPoint(IPAddress.Any, TunnelServeOptions.DefaultPort),
        };
        var scpPort = PortOption("--scp-port", 17893, "The board's SCP port.");
        var bootPort = PortOption("--boot-port", 54321, "The board's boot port.");
        var allow = new Option<IPNetwork[]>("--allow")
        {
            Description = "Tunnel clients allowed to connect, as a network (10.0.0.0/8) or an address; repeat for more. Others are closed before the handshake. [default: any address; the key or a listed certificate still decides]",
            CustomParser = ValueParsers.Networks,
            HelpName = "cidr",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var tlsCert = new Option<FileInfo?>("--tls-cert") { Description = "Serve TLS with this PEM certificate (with --tls-key).", HelpName = "FILE" };
        var tlsKey = new Option<FileInfo?>("--tls-key") { Description = "The PEM private key of --tls-cert.", HelpName = "FILE" };
        var selfSigned = new Option<bool>("--tls-self-signed")
        {
            Description = "Serve TLS with a new self-signed certificate for this machine's host name (localhost when that is no DNS name); " +
                          "its SHA-256 fingerprint is logged for clients to pin (--tls-pin). " +
                          "A new one at every start, so pins break at each restart: `relay tunnel certgen --server` makes one that lasts.",
        };
        var bootMinGap = new Option<TimeSpan>("--boot-min-gap")
        {
            Description = "Smallest gap between boot packets sent to the board; the client's own spacing is kept anyway. [default: 0]",
            CustomParser = r => ValueParsers.Duration(r, "ms"),
            HelpName = "duration",
        };
        var defaults = new TunnelServerOptions();
        var maxSessions = new Option<int>("--max-sessions")
        {
            Description = "Tunnel clients served at once, each a session (a client beyond it is refused and retries).",
            HelpName = "N",
            DefaultValueFactory = _ => defaults.MaxSessions,
            CustomParser = r => ValueParsers.IntIn(r, 1, MaxSessionsLimit),
        };
        var sessionLinger = new Option<TimeSpan?>("--session-linger")
        {
            Description = "How long a client's session (its channels, board sockets and IP tags) is kept after its connection drops, " +
                          $"for it to resume; a client that stops ends its session at once (stopped while disconnected, it reconnects for up to " +
                          $"{new TunnelClientOptions().StopGoodbyeTimeout.TotalSeconds:0} s to do so). [default: {defaults.SessionLinger.TotalSeconds:0}s]",
            HelpName = "duration",
            CustomParser = r => ValueParsers.DurationUpToADay(r, "s"),
        };
        var clientAllow = TunnelClientCertificateFlags.CreateAllow();
        var command = new Command("serve",
            "Run next to the board: accept tunnel clients that prove the key or present a client certificate it lets in; each client " +
            "application's SCP flow and each boot gets its own UDP socket to the board. SIGHUP (systemctl reload) reads --key-file, the " +
            "--tls-client-allow files and --tls-cert/--tls-key again without a restart: the sessions of clients no longer let in end at once, " +
            "the others carry on; files a start would refuse change nothing. It also resolves BOARD's name again: if the board has moved " +
            "(DHCP, a spare under the same name), new channels go to its new address and open ones follow where they can, live output " +
            "included: its IP tags are set on the new board and cleared on the old one (docs/tunnel.md).")
        {
            board, KeyFile, listen, scpPort, bootPort, allow, tlsCert, tlsKey, selfSigned, clientAllow, bootMinGap, maxSessions, sessionLinger, NoCompression,
            StatsInterval, Quiet,
        };
        command.Validators.Add(r => TunnelClientCertificateFlags.ValidateServe(r, KeyFile, clientAllow, tlsCert, tlsKey, selfSigned));
        command.SetAction(async (parse, ct) =>
        {
            Log.Level = parse.GetValue(Quiet) ? LogLevel.Warning : LogLevel.Info;
            InlineSocketCompletions.Prefer(); // before any socket: the tunnel's completions are short and never block
            // SIGHUP (systemctl reload) from now on, before the names are resolved and long before the "listening" line, so
            // whoever waits for that line may send one: a reload asked for before the gateway listens waits for it, then runs
            // (reading the files as they are then); a start that fails lets it go unrun.
            var reloads = new ReloadCounters();
            using var gatewayReload = new ReloadTarget<TunnelServeReload>();
            using var hangup = HangupReloads.Start(
                "tunnel-serve", "the credentials and the board's address", () => gatewayReload.RunAsync(r => r.ReloadAsync(ct)), reloads, ct);
            // Usage errors before any network error: the key, the allowed client certificates, then the TLS certificate.
            // The same files are read again at each SIGHUP (TunnelServeReload).
            var files = ServeCredentialFiles(parse.GetValue(KeyFile), parse.GetValue(clientAllow) ?? [], parse.GetValue(tlsCert), parse.GetValue(tlsKey), parse.GetValue(selfSigned));
            var credentials = files.Read();
            var (key, clients) = (credentials.Key, credentials.Clients);
            if (credentials.Certificate is { } serverCertificate && files.SelfSigned is null)
            {
                Log.Info("tunnel-serve", $"TLS with {Log.Escape(serverCertificate.Subject, 120)} (SHA-256 {TunnelCertificates.Fingerprint(serverCertificate)})");
                if (!TunnelCertificates.AllowsUsage(serverCertificate, TunnelCertificates.ServerAuthentication))
                {
                    Log.Warn("tunnel-serve", $"{parse.GetValue(tlsCert)?.FullName} is not a TLS server certificate (its extended key usage lacks " +
                        "serverAuth): clients that check it against trusted roots (connect --tls without --tls-pin) refuse it; `relay tunnel certgen " +
                        "--server` makes a server certificate");
                }
            }

            var tlsOptions = credentials.Tls();
            if (parse.GetResult(clientAllow) is not null)
            {
                Log.Info("tunnel-serve", ClientCertificatesLine(clients, key is not null));
            }

            var boardName = new HostName(parse.GetValue(board)!, "board"); // resolved again at each SIGHUP (TunnelServeReload)
            var boardAddress = await boardName.ResolveAsync(ct).ConfigureAwait(false);
            var options = new TunnelServeOptions
            {
                BoardScp = new IPEndPoint(boardAddress, parse.GetValue(scpPort)),
                BoardBoot = new IPEndPoint(boardAddress, parse.GetValue(bootPort)),
                Listen = parse.GetValue(listen)!,
                Allow = new PeerAllowList(parse.GetValue(allow) ?? []),
                Tls = tlsOptions,
                BootMinGap = parse.GetValue(bootMinGap),
                Tunnel = new TunnelServerOptions
                {
                    Key = key,
                    AllowClientCertificates = clients.Entries.Count > 0,
                    EnableCompression = !parse.GetValue(NoCompression),
                    MaxSessions = parse.GetValue(maxSessions),
                    SessionLinger = parse.GetValue(sessionLinger) ?? defaults.SessionLinger,
                    Log = new RelayTunnelLog("tunnel-serve"),
                },
            };
            TunnelGateway gateway;
            try
            {
                gateway = TunnelGateway.Start(options);
            }
            catch (SocketException e)
            {
                throw new RelayToolException(ExitCode.Network, $"cannot listen on {options.Listen}: {e.SocketErrorCode}");
            }

            if (options.Tls is null && !IPAddress.IsLoopback(options.Listen.Address))
            {
                Log.Warn("tunnel-serve", PlainTunnelWarning("the tunnel clients", "--tls-self-signed (or --tls-cert and --tls-key)"));
            }

            await using (gateway.ConfigureAwait(false))
            {
                gatewayReload.Started(new TunnelServeReload(gateway, files, credentials, boardName, reloads));
                _ = await WaitForStopAsync("tunnel-serve", parse.GetValue(StatsInterval), () => gateway.Server.Sessions, ct).ConfigureAwait(false);
                await hangup.Completion.ConfigureAwait(false);
                TunnelExitCounters.Record(gateway.Server.Sessions);
                reloads.RecordExit("tunnel");
            }

            return (int)ExitCode.Ok; // stopped (Ctrl+C, SIGTERM): how a running relay ends
        });
        return command;
    }

    /// <summary>The <c>connect</c> verb.</summary>
    public static Command CreateConnect()
    {
        var server = new Argument<string>("server") { Description = $"The tunnel server as HOST:PORT (PORT default {TunnelServeOptions.DefaultPort})." };
        var bind = new Option<IPAddress?>("--bind")
        {
            Description = "Address the local SCP and boot ports bind to. [default: 127.0.0.1]",
            CustomParser = ValueParsers.Address,
            HelpName = "address",
        };
        var scpPort = PortOption("--scp-port", 17893, "Local SCP port tools send to (0 = any free port).");
        var bootPort = PortOption("--boot-port", 54321, "Local boot port tools send to (0 = any free port).");
        var tls = new Option<bool>("--tls") { Description = "Connect with TLS (the server's certificate must chain to a trusted root, or match --tls-pin)." };
        var pin = new Option<string?>("--tls-pin")
        {
            Description = "Accept only the server certificate with this SHA-256 fingerprint (64 hex digits, colons allowed, as " +
                          "`relay tunnel serve` logs it at start). Implies --tls.",
            HelpName = "sha256",
        };
        pin.Validators.Add(r => TunnelClientCertificateFlags.CheckFingerprints(r, _ => true));
        var liveOutput = new Option<LiveOutputRoute[]>("--live-output")
        {
            Description = "Forward live output of the board's IP tag TAG (0-7; the server sets it with STRIP + USE_SENDER) to one or more local visualisers; repeat for more tags.",
            HelpName = "TAG=HOST:PORT[,HOST:PORT]",
            CustomParser = ParseLiveOutputs,
            Arity = ArgumentArity.ZeroOrMore,
        };
        var liveInput = new Option<LiveInputRoute[]>("--live-input")
        {
            Description = "Forward what local tools send to UDP LOCAL_PORT (on --bind) to the board's UDP BOARD_PORT (a reverse IP tag's), each sender its own channel; repeat for more.",
            HelpName = "LOCAL_PORT=BOARD_PORT",
            CustomParser = ParseLiveInputs,
            Arity = ArgumentArity.ZeroOrMore,
        };
        var flowIdle = new Option<TimeSpan>("--flow-idle-timeout")
        {
            Description = "Close an application's channel after this long without traffic (its next datagram opens a new one). [default: 5m]",
            CustomParser = r =>
            {
                var token = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
                if (ValueParsers.TryParseDuration(token, "s", out var value) && value > TimeSpan.Zero)
                {
                    return value;
                }

                r.AddError($"'{Log.Escape(token, 40)}' is not a positive duration for --flow-idle-timeout (examples: 30s, 5m)");
                return default;
            },
            HelpName = "duration",
        };
        var maxFlows = new Option<int>("--max-flows")
        {
            Description = "Most applications served at once per local port; more are refused and counted.",
            DefaultValueFactory = _ => 64,
            HelpName = "count",
            CustomParser = r => ValueParsers.IntIn(r, 1, 100_000),
        };
        var clientCert = TunnelClientCertificateFlags.CreateClientCert();
        var clientKey = TunnelClientCertificateFlags.CreateClientKey();
        var retryRefused = new Option<bool>("--retry-when-refused")
        {
            Description = $"When the server refuses the key or the client certificate, the server's certificate is refused (pin, chain, " +
                          $"name), or the HTTP proxy wants other credentials (407), keep retrying with backoff (a warning each time, at most every 10 s) instead of exiting with code " +
                          $"{(int)ExitCode.Refused}: for an unattended client whose access an admin may restore. Other failures are always retried.",
        };
        var httpProxy = HttpProxyOption.Create("the tunnel server (HTTP CONNECT)", "https_proxy, then all_proxy");
        var command = new Command("connect",
            "Run next to the user: listen on local SCP and boot ports like `relay client` (each application its own flow) and " +
            "carry them through one tunnel, reconnecting with backoff and resuming, so nothing is lost or repeated across drops. " +
            $"Stopped, it ends its session on the server (when disconnected, it reconnects for up to {new TunnelClientOptions().StopGoodbyeTimeout.TotalSeconds:0} s to do so). " +
            $"A refusal that retrying cannot fix (wrong key, certificate not let in, server certificate refused, proxy credentials refused) ends " +
            $"it with exit code {(int)ExitCode.Refused}. Through an HTTP proxy (HTTP CONNECT) with --http-proxy, or the one https_proxy names.")
        {
            server, KeyFile, bind, scpPort, bootPort, liveOutput, liveInput, flowIdle, maxFlows, tls, pin, clientCert, clientKey, retryRefused, httpProxy,
            NoCompression, StatsInterval, Quiet,
        };
        command.Validators.Add(r => TunnelClientCertificateFlags.ValidateConnect(r, KeyFile, clientCert, clientKey));
        command.SetAction(async (parse, ct) =>
        {
            Log.Level = parse.GetValue(Quiet) ? LogLevel.Warning : LogLevel.Info;
            InlineSocketCompletions.Prefer(); // before any socket: the tunnel's completions are short and never block
            var (host, port) = SplitHostPort(parse.GetValue(server)!);
            var pinned = parse.GetValue(pin);
            var key = parse.GetValue(KeyFile) is { } keyFile ? ReadKey(keyFile) : null;
            var certificate = parse.GetValue(clientCert) is { } certFile
                ? TunnelClientCertificateFlags.LoadPem(certFile, parse.GetValue(clientKey)!, "TLS client certificate")
                : null;
            if (certificate is not null)
            {
                Log.Info("tunnel-connect", $"proving ourselves with the TLS client certificate {TunnelCertificates.Fingerprint(certificate)} " +
                    $"({Log.Escape(certificate.Subject, 120)}), not a key");
            }

            var tlsOptions = parse.GetValue(tls) || pinned is not null || certificate is not null
                ? new TunnelTlsClientOptions { TargetHost = host, PinnedServerCertificate = pinned, ClientCertificate = certificate }
                : null;
            var serverLabel = $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";
            var route = (parse.GetValue(httpProxy) ?? HttpProxyChoice.Environment).Route(Destination(host, port));
            TcpTunnelConnector connector;
            try
            {
                connector = new TcpTunnelConnector(host, port, tlsOptions) { HttpProxy = HttpProxyOption.ForTunnel(route) };
            }
            catch (ArgumentException e)
            {
                throw new RelayToolException(ExitCode.Usage, e.Message); // a server host that cannot go into a CONNECT line
            }

            if (route.Reason is not null)
            {
                Log.Info("tunnel-connect", route.Proxy is null
                    ? $"to {Log.Escape(serverLabel)} directly: {route.Reason}"
                    : $"to {Log.Escape(serverLabel)} through the HTTP proxy {route.DescribeProxy()} (from {route.Reason})");
            }

            var options = new TunnelConnectOptions
            {
                Connector = connector,
                ServerLabel = serverLabel,
                Bind = parse.GetValue(bind) ?? IPAddress.Loopback,
                ScpPort = parse.GetValue(scpPort),
                BootPort = parse.GetValue(bootPort),
                LiveOutputs = parse.GetValue(liveOutput) ?? [],
                LiveInputs = parse.GetValue(liveInput) ?? [],
                FlowIdleTimeout = parse.GetResult(flowIdle) is null ? TimeSpan.FromMinutes(5) : parse.GetValue(flowIdle),
                MaxFlows = parse.GetValue(maxFlows),
                Tunnel = new TunnelClientOptions
                {
                    Key = key, // null: the client certificate (auth method 2)
                    EnableCompression = !parse.GetValue(NoCompression),
                    StopWhenRefused = !parse.GetValue(retryRefused),
                    Log = new RelayTunnelLog("tunnel-connect"),
                },
            };
            TunnelPortal portal;
            try
            {
                portal = TunnelPortal.Start(options);
            }
            catch (SocketException e)
            {
                throw new RelayToolException(ExitCode.Network, $"cannot bind the local ports on {options.Bind}: {e.SocketErrorCode}");
            }

            if (tlsOptions is null && !IsLoopbackHost(host))
            {
                Log.Warn("tunnel-connect", PlainTunnelWarning($"the server ({Log.Escape(options.ServerLabel)})", "--tls-pin (or --tls)"));
            }

            TunnelRefusal? refusal;
            await using (portal.ConfigureAwait(false))
            {
                refusal = await WaitForStopAsync("tunnel-connect", parse.GetValue(StatsInterval), () => [portal.Client.Session], ct, portal.Client.Stopped)
                    .ConfigureAwait(false);
                TunnelExitCounters.Record([portal.Client.Session]);
            }

            if (refusal is not null)
            {
                var line = new TunnelRefusalLine(Log.Escape(options.ServerLabel), parse.GetValue(KeyFile), parse.GetValue(clientCert),
                    certificate is null ? null : TunnelCertificates.Fingerprint(certificate), pinned, route);
                throw new RelayToolException(ExitCode.Refused, line.Describe(refusal)); // the local ports are closed by now
            }

            return (int)ExitCode.Ok; // stopped (Ctrl+C, SIGTERM): how a running relay ends
        });
        return command;
    }

    /// <summary>Most bytes of a key file read: 64 hex digits and a newline, with room for white space around them.</summary>
    internal const int MaxKeyFileBytes = 1024;

    /// <summary>
    /// Reads a key file written by <c>relay tunnel keygen</c>; one clear line and exit code 2 when it is not one. A file
    /// longer than <see cref="MaxKeyFileBytes"/> (a wrong one, /dev/zero) is refused after reading that much.
    /// </summary>
    internal static TunnelKey ReadKey(FileInfo file)
    {
        string text = CredentialFiles.ReadText(file, "key file", MaxKeyFileBytes);
        return TunnelKey.TryParse(text.Trim(), out var key) && key is not null
            ? key
            : throw new RelayToolException(ExitCode.Usage, $"{file.FullName} is not a tunnel key (64 hex digits, from `relay tunnel keygen -o FILE`)");
    }

    /// <summary>
    /// Said once at start when the tunnel runs without TLS beyond this machine: the key proves who connected, but nothing
    /// protects the frames after the handshake.
    /// </summary>
    internal static string PlainTunnelWarning(string peer, string fix) =>
        $"no TLS: the key is proved at connect, but the frames after it are neither encrypted nor integrity-protected, so " +
        $"anyone on the path between here and {peer} could read them or inject commands for the board; across networks you do not fully " +
        $"trust, add {fix}";

    /// <summary>True for "localhost" and loopback addresses (where no one else is on the path).</summary>
    internal static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    /// <summary>"host:port", "host" (default port) or "[v6]:port".</summary>
    internal static (string Host, int Port) SplitHostPort(string text)
    {
        text = text.Trim();
        var colon = text.LastIndexOf(':');
        if (colon < 0 || (text.StartsWith('[') && !text[..colon].EndsWith(']')) || (text.IndexOf(':') != colon && !text.StartsWith('[')))
        {
            return (text.Trim('[', ']'), TunnelServeOptions.DefaultPort);
        }

        if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535 || colon == 0)
        {
            throw new RelayToolException(ExitCode.Usage, $"'{Log.Escape(text, 80)}' is not HOST:PORT for the tunnel server (example: gateway.example.org:{TunnelServeOptions.DefaultPort})");
        }

        return (text[..colon].Trim('[', ']'), port);
    }

    /// <summary>The tunnel server as a URL, to ask the proxy choice about (https: the tunnel counts as TLS traffic, whether it uses TLS or not).</summary>
    private static Uri Destination(string host, int port)
    {
        try
        {
            return new UriBuilder(Uri.UriSchemeHttps, host, port).Uri;
        }
        catch (UriFormatException)
        {
            throw new RelayToolException(ExitCode.Usage, $"'{Log.Escape(host, 80)}' is not a host name or an address for the tunnel server");
        }
    }

    /// <summary>
    /// The files serve reads its credentials from, checked as a whole first: TLS self-signed or from PEM files, not both
    /// (the parse checked that client certificates have TLS). A self-signed certificate is made now, once: a reload keeps it.
    /// </summary>
    private static TunnelServeCredentialFiles ServeCredentialFiles(FileInfo? keyFile, string[] allow, FileInfo? cert, FileInfo? key, bool selfSigned)
    {
        if (selfSigned && (cert is not null || key is not null))
        {
            throw new RelayToolException(ExitCode.Usage, "--tls-self-signed and --tls-cert/--tls-key exclude each other; choose one");
        }

        if (cert is null != key is null)
        {
            throw new RelayToolException(ExitCode.Usage, "--tls-cert and --tls-key go together");
        }

        X509Certificate2? made = null;
        if (selfSigned)
        {
            made = TunnelCertificates.CreateSelfSigned(TunnelCommand.DefaultHostName()); // named as certgen --server names one
            Log.Info("tunnel-serve", $"TLS with a self-signed certificate; clients pin it with --tls-pin {TunnelCertificates.Fingerprint(made)} " +
                "until this relay restarts, which makes a new one (for a pin that survives restarts: `relay tunnel certgen --server -o NAME`, " +
                "then --tls-cert NAME.crt --tls-key NAME.key)");
        }

        return new TunnelServeCredentialFiles(keyFile, allow, cert, key, made);
    }

    /// <summary>The start line that says which client certificates serve lets in, and whether the key is taken too.</summary>
    internal static string ClientCertificatesLine(ClientCertificateAllowList clients, bool withKey)
    {
        var key = withKey ? "clients may prove the pre-shared key instead" : "no pre-shared key: a certificate is the only way in";
        return clients.Entries.Count == 0
            ? $"client certificates: none listed ({string.Join(", ", clients.Sources)}), so clients prove the pre-shared key"
            : $"client certificates: {clients.Entries.Count} let in ({string.Join(", ", clients.Sources)}); {key}";
    }

    /// <summary>
    /// Waits for Ctrl+C or SIGTERM, or for <paramref name="refused"/> (a client that stopped on a refusal), logging the
    /// sessions' counters every <paramref name="statsInterval"/> (none when 0), and once more, as totals, when stopping.
    /// Returns the refusal that ended the wait, or null for a signal.
    /// </summary>
    private static async Task<TunnelRefusal?> WaitForStopAsync(
        string component, TimeSpan statsInterval, Func<IReadOnlyCollection<TunnelSession>> sessions, CancellationToken ct,
        Task<TunnelRefusal?>? refused = null)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var waiting = CountersSchedule.LogUntilStoppedAsync(statsInterval, () => TunnelStats.Log(component, "stats", sessions()), stop.Token);
        if (refused is not null)
        {
            await Task.WhenAny(waiting, refused).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
        }

        await waiting.ConfigureAwait(false);
        var refusal = refused is { IsCompletedSuccessfully: true } ? refused.Result : null;
        Log.Info(component, refusal is null ? "stopping (signal received)" : "stopping (refused: retrying would not help)");
        TunnelStats.Log(component, "totals", sessions());
        return refusal;
    }

    /// <summary>Parses each <c>TAG=HOST:PORT[,HOST:PORT]</c> (addresses, not names: visualisers are local).</summary>
    internal static LiveOutputRoute[] ParseLiveOutputs(ArgumentResult result)
    {
        var routes = new List<LiveOutputRoute>();
        foreach (var token in result.Tokens)
        {
            var text = token.Value.Trim();
            var equals = text.IndexOf('=');
            var visualisers = new List<IPEndPoint>();
            var ok = equals > 0 && int.TryParse(text[..equals], NumberStyles.None, CultureInfo.InvariantCulture, out var tag) && tag is >= 0 and <= 7;
            tag = ok ? int.Parse(text[..equals], CultureInfo.InvariantCulture) : 0;
            foreach (var part in ok ? text[(equals + 1)..].Split(',') : [])
            {
                if (IPEndPoint.TryParse(part.Trim(), out var endPoint) && endPoint.Port != 0 && part.Contains(':', StringComparison.Ordinal))
                {
                    visualisers.Add(endPoint);
                }
                else
                {
                    ok = false;
                }
            }

            if (!ok || visualisers.Count == 0 || routes.Any(r => r.Tag == tag))
            {
                result.AddError($"'{Log.Escape(text, 80)}' is not TAG=HOST:PORT[,HOST:PORT] for --live-output (tag 0-7, each tag once; example: 1=127.0.0.1:17895,127.0.0.1:17896)");
                continue;
            }

            routes.Add(new LiveOutputRoute(tag, visualisers));
        }

        return [.. routes];
    }

    /// <summary>Parses each <c>LOCAL_PORT=BOARD_PORT</c> (both 1..65535).</summary>
    internal static LiveInputRoute[] ParseLiveInputs(ArgumentResult result)
    {
        var routes = new List<LiveInputRoute>();
        foreach (var token in result.Tokens)
        {
            var parts = token.Value.Trim().Split('=');
            if (parts.Length == 2
                && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var local) && local is >= 1 and <= 65535
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var board) && board is >= 1 and <= 65535)
            {
                routes.Add(new LiveInputRoute(local, board));
            }
            else
            {
                result.AddError($"'{Log.Escape(token.Value, 40)}' is not LOCAL_PORT=BOARD_PORT for --live-input (example: 12345=12345)");
            }
        }

        return [.. routes];
    }

    private static IPEndPoint ParseEndPoint(ArgumentResult result, string name)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[^1].Value.Trim() : "";
        if (EndPointText.TryParseAddressPort(text, minPort: 0, out var endPoint))
        {
            return endPoint;
        }

        result.AddError($"'{Log.Escape(text, 80)}' is not ADDR:PORT for {name} (examples: 0.0.0.0:{TunnelServeOptions.DefaultPort}, [::]:{TunnelServeOptions.DefaultPort})");
        return new IPEndPoint(IPAddress.Any, 0);
    }

    private static Option<int> PortOption(string name, int defaultValue, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        HelpName = "port",
        CustomParser = r => ValueParsers.IntIn(r, 0, 65535),
    };
}
