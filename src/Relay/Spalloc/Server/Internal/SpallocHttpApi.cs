using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FastSpinnRelay.Relay.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// The HTTP side of the service, as spinnman's SpallocClient uses it (protocols.md §7.1), routed by hand under the
/// base path: trailing and doubled slashes are tolerated because the client adds them. Everything else under the base
/// path answers 404 or 405 with one line of text.
/// </summary>
internal sealed partial class SpallocHttpApi
{
    private const string TextPlain = "text/plain; charset=utf-8";
    private const int MaxBodyBytes = 64 << 10;
    private static readonly TimeSpan LongPollLimit = TimeSpan.FromSeconds(30);

    /// <summary>How often a long poll looks whether its client is still connected.</summary>
    private static readonly TimeSpan ClientCheckInterval = TimeSpan.FromSeconds(1);

    private readonly SpallocMachine _machine;
    private volatile SpallocServerOptions _options;
    private readonly JobBoard _jobs;
    private readonly SessionStore _sessions;
    private readonly UserDirectory _users;
    private readonly ProxyHub _hub;
    private readonly string _basePath;

    public SpallocHttpApi(SpallocConfig config, JobBoard jobs, SessionStore sessions, UserDirectory users, ProxyHub hub)
    {
        _machine = config.Machine;
        _options = config.Server;
        _jobs = jobs;
        _sessions = sessions;
        _users = users;
        _hub = hub;
        _basePath = _options.NormalizedBasePath;
    }

    /// <summary>
    /// The server settings requests read (each read takes one immutable snapshot); a reload replaces them with ones whose
    /// restart-only settings are unchanged.
    /// </summary>
    public SpallocServerOptions Options
    {
        get => _options;
        set => _options = value;
    }

    /// <summary>Kestrel's one request delegate.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith(_basePath, StringComparison.Ordinal) || (path.Length > _basePath.Length && path[_basePath.Length] != '/'))
        {
            await Text(context, StatusCodes.Status404NotFound, $"not found: this server serves under {(_basePath.Length == 0 ? "/" : _basePath)}").ConfigureAwait(false);
            return;
        }

        var segments = path[_basePath.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var method = context.Request.Method;
        try
        {
            await (segments switch
            {
                ["system", "login.html"] => Only(context, "GET", LoginPageAsync),
                ["system", "perform_login"] => Only(context, "POST", PerformLoginAsync),
                ["srv", "spalloc"] => Only(context, "GET", ServiceAsync),
                ["srv", "spalloc", "machines"] => Only(context, "GET", MachinesAsync),
                ["srv", "spalloc", "machines", var name] => Only(context, "GET", c => MachineAsync(c, name)),
                ["srv", "spalloc", "jobs"] => method == "POST" ? CreateJobAsync(context) : Only(context, "GET, POST", ListJobsAsync),
                ["srv", "spalloc", "jobs", var id] => method == "DELETE"
                    ? WithJob(context, id, mutating: true, DeleteJobAsync)
                    : Only(context, "GET, DELETE", c => WithJob(c, id, mutating: false, JobStateAsync)),
                ["srv", "spalloc", "jobs", var id, "machine"] => Only(context, "GET", c => WithJob(c, id, mutating: false, JobMachineAsync)),
                ["srv", "spalloc", "jobs", var id, "keepalive"] => Only(context, "PUT", c => WithJob(c, id, mutating: true, KeepaliveAsync)),
                ["srv", "spalloc", "jobs", var id, "router"] => Only(context, "DELETE", c => WithJob(c, id, mutating: true, ResetRoutingAsync)),
                ["srv", "spalloc", "jobs", var id, "memory"] => method == "POST"
                    ? WithJob(context, id, mutating: true, WriteMemoryAsync)
                    : Only(context, "GET, POST", c => WithJob(c, id, mutating: false, ReadMemoryAsync)),
                ["srv", "spalloc", "jobs", _, var other, ..] => Text(
                    context, StatusCodes.Status404NotFound, $"this server does not provide the job resource '{Log.Escape(other, 40)}' (use the proxy websocket)"),
                ["proxy", var id] => Only(context, "GET", c => ProxyAsync(c, id)),
                _ => Text(context, StatusCodes.Status404NotFound, $"no such resource: {Log.Escape(path, 120)}"),
            }).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex)
        {
            await Text(context, ex.StatusCode, ex.Message).ConfigureAwait(false);
        }
    }

    private static Task Only(HttpContext context, string allowed, Func<HttpContext, Task> handler)
    {
        if (allowed.Split(", ").Contains(context.Request.Method))
        {
            return handler(context);
        }

        context.Response.Headers.Allow = allowed;
        return Text(context, StatusCodes.Status405MethodNotAllowed, $"method {context.Request.Method} is not allowed here (allowed: {allowed})");
    }

    /// <summary>
    /// Who is asking: the session cookie's user, else a valid bearer token's user (no CSRF needed then), else null. A
    /// session counts only while its user is configured with the token it logged in with (a reload may have removed
    /// the user or changed the token: the session is forgotten then); admin rights are the configuration's now.
    /// </summary>
    private (SpallocUser? User, Session? Session) Caller(HttpContext context)
    {
        if (_sessions.Find(context.Request.Cookies[SessionStore.CookieName]) is { User: { } user } session)
        {
            if (_users.Current(user) is { } current)
            {
                return (current, session);
            }

            _sessions.Remove(session);
        }

        return (BearerUser(context), null);
    }

    private SpallocUser? BearerUser(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? _users.Authenticate(header[7..].Trim(), context.Connection.RemoteIpAddress) : null;
    }

    /// <summary>Authenticates (and for a mutating request through a cookie session, checks the CSRF header); writes the refusal itself.</summary>
    private async Task<SpallocUser?> RequireUser(HttpContext context, bool mutating)
    {
        var (user, session) = Caller(context);
        if (user is null)
        {
            await Text(context, StatusCodes.Status401Unauthorized, $"log in first: GET {_basePath}/system/login.html with Authorization: Bearer TOKEN").ConfigureAwait(false);
            return null;
        }

        if (mutating && session is not null && !SessionStore.CsrfMatches(session, context.Request.Headers[SessionStore.CsrfHeader].ToString()))
        {
            await Text(context, StatusCodes.Status403Forbidden, $"missing or wrong {SessionStore.CsrfHeader} header (take it from GET {_basePath}/srv/spalloc/)").ConfigureAwait(false);
            return null;
        }

        return user;
    }

    private async Task WithJob(HttpContext context, string idText, bool mutating, Func<HttpContext, SpallocUser, Job, Task> handler)
    {
        if (await RequireUser(context, mutating).ConfigureAwait(false) is not { } user)
        {
            return;
        }

        if (FindJob(idText) is not { } job)
        {
            await Text(context, StatusCodes.Status404NotFound, $"no job {Log.Escape(idText, 20)}").ConfigureAwait(false);
            return;
        }

        if (!user.Admin && job.Owner != user.Name)
        {
            await Text(context, StatusCodes.Status403Forbidden, $"job {job.Id} belongs to another user").ConfigureAwait(false);
            return;
        }

        await handler(context, user, job).ConfigureAwait(false);
    }

    private Job? FindJob(string idText) =>
        int.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? _jobs.Find(id) : null;

    /// <summary>The public URL of the base path (configured, or from the request's scheme and Host).</summary>
    private string BaseUrl(HttpContext context) =>
        _options.PublicUrl is { } url
            ? url.ToString().TrimEnd('/')
            : $"{context.Request.Scheme}://{context.Request.Host.ToUriComponent()}{_basePath}";

    private string JobsUrl(HttpContext context) => BaseUrl(context) + "/srv/spalloc/jobs";

    private string JobUrl(HttpContext context, int id) => JobsUrl(context) + "/" + id.ToString(CultureInfo.InvariantCulture);

    private string ProxyUrl(HttpContext context, int id)
    {
        var base_ = BaseUrl(context);
        var ws = base_.StartsWith("https:", StringComparison.OrdinalIgnoreCase) ? "wss:" + base_[6..] : "ws:" + base_[5..];
        return ws + "/proxy/" + id.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Caps this request's body at <paramref name="limit"/> (default <see cref="MaxBodyBytes"/>) however it comes: checking Content-Length alone let a chunked
    /// body through up to Kestrel's 1 MiB. Reading past the cap throws a 413 BadHttpRequestException, which
    /// <see cref="HandleAsync"/> answers with its message.
    /// </summary>
    private static void LimitBody(HttpContext context, long limit = MaxBodyBytes)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }
    }

    private static Task Text(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = TextPlain;
        return context.Response.WriteAsync(text + "\n");
    }

    private static Task Json<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static bool Flag(HttpContext context, string name) =>
        bool.TryParse(context.Request.Query[name].ToString(), out var value) && value;

    private static string Peer(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address
            ? new IPEndPoint(address, context.Connection.RemotePort).ToString()
            : "unknown peer";
}
