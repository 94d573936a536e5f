namespace FastSpinnRelay.Relay.Spalloc.Client;

/// <summary>One machine of the service.</summary>
public sealed record SpallocMachineInfo(string Name, IReadOnlyList<string> Tags, int Width, int Height);

/// <summary>A job's state as the service reports it; <see cref="ProxyRef"/> is set only while POWER or READY.</summary>
public sealed record SpallocJobInfo(Uri Url, string State, string? Owner, Uri? ProxyRef, string? Reason)
{
    /// <summary>When the service last heard a keepalive for the job (null when it does not say).</summary>
    public DateTimeOffset? KeepaliveTime { get; init; }

    /// <summary>True when the job can be used through the proxy.</summary>
    public bool IsReady => State == "READY";

    /// <summary>True when the job is gone for good.</summary>
    public bool IsDestroyed => State == "DESTROYED";
}

/// <summary>One board of a job: its Ethernet chip (job-relative) and IP address.</summary>
public sealed record SpallocBoardConnection(int X, int Y, string Address);

/// <summary>Time limits, TLS and HTTP proxy of a <see cref="SpallocClient"/>.</summary>
public sealed record SpallocClientOptions
{
    /// <summary>
    /// The HTTP proxy of the REST calls and of the proxy websocket, which both honour it alike. Default: the environment's,
    /// as HttpClient reads it (https_proxy or http_proxy by the service's scheme, then all_proxy; no_proxy), except that
    /// loopback addresses are always reached directly; <c>relay spalloc … --http-proxy</c> sets another, or none.
    /// </summary>
    public System.Net.IWebProxy Proxy { get; init; } = FastSpinnRelay.Relay.Internal.HttpProxyChoice.Environment;

    /// <summary>Each HTTP call's limit (default 30 s); a long-poll state request gets 30 s more.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Accept any TLS certificate (default false; for self-signed test gateways only).</summary>
    public bool Insecure { get; init; }
}
