using System.Net;

namespace FastSpinnRelay.Relay.Spalloc.Server;

/// <summary>
/// How a <see cref="SpallocServer"/> listens and how hard its proxy lets clients push it. Immutable;
/// <see cref="GetProblems"/> reports every problem at once. The listen address, base path, TLS files and state file
/// come from the command line, the rest from the configuration file's <c>server</c> section.
/// </summary>
public sealed record SpallocServerOptions
{
    /// <summary>Where Kestrel listens. Default 127.0.0.1:8080 (loopback: put it behind a TLS proxy, or give --listen 0.0.0.0:PORT with TLS). Port 0 picks a free port.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 8080);

    /// <summary>Path prefix of every resource, as on the public service. Default "/spalloc"; "" or "/" serves at the root.</summary>
    public string BasePath { get; init; } = "/spalloc";

    /// <summary>TLS certificate, PEM or PKCS#12 file. Default none (plain HTTP; spinnman insists on https URLs, so use TLS here or in a proxy in front).</summary>
    public string? TlsCertificatePath { get; init; }

    /// <summary>Private key (PEM) for a PEM certificate without its key inside. Default none.</summary>
    public string? TlsKeyPath { get; init; }

    /// <summary>
    /// Where jobs are kept across restarts (JSON, rewritten atomically at every change: create, allocation, keepalive,
    /// destroy). Default none: jobs live in memory and stopping the server destroys them. With a file, stopping leaves
    /// every job as it is; the next start loads them, expiring those whose keepalive lapsed meanwhile. Login sessions
    /// are not kept: clients log in again.
    /// </summary>
    public string? StateFilePath { get; init; }

    /// <summary>
    /// The IPv4 address OPEN_UNBOUND reports as where boards can send to this server. Default none: the address the
    /// kernel would use to reach the job's first board (right for a gateway with one interface towards the boards).
    /// </summary>
    public IPAddress? UnboundAddress { get; init; }

    /// <summary>
    /// The URL clients reach the base path at, when it differs from what requests show (behind a reverse proxy), e.g.
    /// https://spinnaker.example.org/spalloc. Default none: built from each request's scheme and Host header.
    /// </summary>
    public Uri? PublicUrl { get; init; }

    /// <summary>
    /// Bytes of frames waiting for one websocket that are not yet handed to it (a second batch of at most this size
    /// may be in flight). Default 1 MiB, range 64 KiB to 256 MiB. When full, live output (EIEIO and anything that is not
    /// SDP) is dropped oldest first; SDP (SCP replies) is kept while other frames can make room.
    /// </summary>
    public int SendQueueBytes { get; init; } = 1 << 20;

    /// <summary>A websocket whose client has not taken a frame for this long is closed (it stopped reading). Default 30 s, range 1 s to 1 h.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Interval of websocket keep-alive frames from the server, so idle-closing proxies (nginx: 60 s) leave it open. Default 20 s; 0 turns them off; at most 1 h.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Channels one websocket may have open; an OPEN beyond it gets ERROR. Default 64, range 1 to 4096.</summary>
    public int MaxChannelsPerWebSocket { get; init; } = 64;

    /// <summary>
    /// The boards' SCP port, where <c>jobs/{id}/memory</c> sends its READ and WRITE requests. Default 17893 (SC&amp;MP's);
    /// another only for boards behind a port forward, or emulated ones.
    /// </summary>
    public int BoardScpPort { get; init; } = 17893;

    /// <summary>Jobs one user may have queued or running. Default 8, range 1 to 1000.</summary>
    public int MaxJobsPerUser { get; init; } = 8;

    /// <summary>Longest keepalive-interval a job may ask for. Default 1 h (spinnman asks for 120 s), range 1 s to 1 day.</summary>
    public TimeSpan MaxKeepalive { get; init; } = TimeSpan.FromHours(1);

    /// <summary>A login session unused for this long is forgotten. Default 8 h, range 1 min to 30 days.</summary>
    public TimeSpan SessionIdleTimeout { get; init; } = TimeSpan.FromHours(8);

    /// <summary>Largest websocket message accepted from a client: a MSG_TO header and the largest UDP payload. Larger closes it with 1009.</summary>
    public const int MaxClientMessageBytes = 20 + 65_507;

    /// <summary>Most login sessions held at once; the least recently used goes first beyond it.</summary>
    public const int MaxSessions = 10_000;

    /// <summary>Destroyed jobs remembered for listing (deleted=true), most recent first.</summary>
    public const int MaxDestroyedJobsKept = 1_000;

    /// <summary>Every problem with these options, each naming its setting; empty when valid.</summary>
    public IReadOnlyList<string> GetProblems()
    {
        var problems = new List<string>();
        if (Listen is null)
        {
            problems.Add("listen address is missing");
        }

        if (!IsValidBasePath(BasePath))
        {
            problems.Add($"base path '{Diagnostics.Log.Escape(BasePath ?? "", 80)}' must start with '/' and use only letters, digits and -._~/");
        }

        if (TlsKeyPath is not null && TlsCertificatePath is null)
        {
            problems.Add("--tls-key needs --tls-cert");
        }

        if (StateFilePath is { } state && (state.Trim().Length == 0 || state.EndsWith('/') || Directory.Exists(state)))
        {
            problems.Add($"--state-file '{Diagnostics.Log.Escape(state, 120)}' must name a file, not a directory");
        }

        if (UnboundAddress is { } unbound && unbound.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            problems.Add($"server.unbound-address {unbound} is not IPv4 (the proxy protocol carries an IPv4 address)");
        }

        if (PublicUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps)))
        {
            problems.Add($"server.public-url '{url}' must be an absolute http:// or https:// URL");
        }

        Range(problems, "server.send-queue-bytes", SendQueueBytes, 64 << 10, 256 << 20);
        Range(problems, "server.stall-timeout (s)", (long)StallTimeout.TotalSeconds, 1, 3600);
        Range(problems, "server.ping-interval (s)", (long)Math.Ceiling(PingInterval.TotalSeconds), 0, 3600);
        Range(problems, "server.max-channels-per-websocket", MaxChannelsPerWebSocket, 1, 4096);
        Range(problems, "server.board-scp-port", BoardScpPort, 1, 65535);
        Range(problems, "server.max-jobs-per-user", MaxJobsPerUser, 1, 1000);
        Range(problems, "server.max-keepalive (s)", (long)MaxKeepalive.TotalSeconds, 1, 86_400);
        Range(problems, "server.session-idle-timeout (s)", (long)SessionIdleTimeout.TotalSeconds, 60, 30 * 86_400);
        return problems;
    }

    /// <summary>The base path as routes use it: "" for the root, else "/a/b" without a trailing slash.</summary>
    internal string NormalizedBasePath => BasePath.TrimEnd('/');

    private static bool IsValidBasePath(string? path) =>
        path is not null && path.StartsWith('/') && path.Length <= 200 && !path.Contains("//", StringComparison.Ordinal)
        && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '/');

    private static void Range(List<string> problems, string name, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            problems.Add($"{name} is {value}, must be {min} to {max}");
        }
    }
}
