using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Spalloc.Server.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastSpinnRelay.Relay.Spalloc.Server;

/// <summary>
/// <c>relay spalloc serve</c>: the Spalloc service as spinnman uses it (login, jobs over the configured machine's
/// boards, the proxy websocket) on Kestrel, plain HTTP or TLS. Start with <see cref="StartAsync(SpallocConfig, CancellationToken)"/>,
/// stop with <see cref="DisposeAsync"/> (every websocket is closed and every channel socket freed). Jobs live in memory,
/// or with <see cref="SpallocServerOptions.StateFilePath"/> in a file that outlives the server.
/// </summary>
/// <remarks>
/// One <see cref="Udp.UdpEventLoop"/> serves every channel socket; a housekeeping timer (every second) expires jobs whose
/// keepalive lapsed, forgets idle sessions and disconnects clients that stopped reading.
/// </remarks>
public sealed class SpallocServer : IAsyncDisposable
{
    private static readonly TimeSpan HousekeepingInterval = TimeSpan.FromSeconds(1);

    private readonly WebApplication _app;
    private readonly ProxyHub _hub;
    private readonly SpallocHttpApi _api;
    private readonly UserDirectory _users;
    private readonly ITimer _housekeeping;
    private readonly JobStateFile? _stateFile;
    private readonly Lock _reloadGate = new();
    private SpallocConfig _config;
    private int _disposed;

    private SpallocServer(
        SpallocConfig config, TimeProvider time, WebApplication app, ProxyHub hub, SpallocHttpApi api, JobBoard jobs, SessionStore sessions, UserDirectory users,
        JobStateFile? stateFile)
    {
        _config = config;
        Logins = users.Counters;
        _stateFile = stateFile;
        _app = app;
        _hub = hub;
        _api = api;
        _users = users;
        Jobs = jobs;
        Sessions = sessions;
        _housekeeping = time.CreateTimer(static s => ((SpallocServer)s!).RunHousekeeping(), this, HousekeepingInterval, HousekeepingInterval);
    }

    /// <summary>The configuration the server runs on: as started, with what reloads applied (<see cref="Reload"/>).</summary>
    public SpallocConfig Config => Volatile.Read(ref _config);

    /// <summary>Where Kestrel is listening (the real port when the configured one was 0).</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>The service's base URL as seen from this machine, e.g. http://127.0.0.1:8080/spalloc.</summary>
    public Uri BaseUri { get; private set; } = new("http://localhost/");

    /// <summary>The proxy's counters, totalled over all websockets.</summary>
    public SpallocProxyCounters Counters => _hub.Counters;

    /// <summary>What <c>jobs/{id}/memory</c> has done.</summary>
    public SpallocMemoryCounters Memory => _api.Memory;

    /// <summary>Logins refused since the server started (bad tokens), and how many cost no PBKDF2 check.</summary>
    public SpallocLoginCounters Logins { get; }

    /// <summary>Websockets being served now.</summary>
    public int WebSocketCount => _hub.SessionCount;

    /// <summary>Channel sockets registered on the proxy's UDP loop now.</summary>
    public int RegisteredSockets => _hub.Loop.RegisteredCount;

    internal JobBoard Jobs { get; }

    /// <summary>Closes every websocket of job <paramref name="jobId"/> without destroying the job (tests: a dropped connection).</summary>
    internal void DropWebSockets(int jobId, string reason) => _hub.CloseJob(jobId, reason);

    internal SessionStore Sessions { get; }

    /// <summary>The web host's services (tests: which memory pools Kestrel was given).</summary>
    internal IServiceProvider Services => _app.Services;

    /// <summary>Validates the options, binds and starts serving.</summary>
    /// <exception cref="ArgumentException">The server options have problems (all are listed).</exception>
    /// <exception cref="IOException">The address cannot be bound, or a TLS file cannot be read.</exception>
    /// <exception cref="SpallocStateFileException">The job state file cannot be read, is not one, or cannot be written.</exception>
    public static Task<SpallocServer> StartAsync(SpallocConfig config, CancellationToken cancellationToken = default) =>
        StartAsync(config, TimeProvider.System, cancellationToken);

    /// <summary>As <see cref="StartAsync(SpallocConfig, CancellationToken)"/>, with a clock for keepalive and session expiry (tests).</summary>
    internal static async Task<SpallocServer> StartAsync(SpallocConfig config, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        var options = config.Server;
        var problems = options.GetProblems();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid server options: " + string.Join("; ", problems), nameof(config));
        }

        var certificate = options.TlsCertificatePath is { } certPath ? LoadCertificate(certPath, options.TlsKeyPath) : null;
        var stateFile = options.StateFilePath is { } state ? new JobStateFile(state) : null;
        var hub = new ProxyHub(options);
        try
        {
            stateFile?.Claim();
            var jobs = new JobBoard(config.Machine, time, options.MaxJobsPerUser, stateFile);
            if (jobs.IsPersistent)
            {
                Log.Info(ProxyHub.Component, jobs.Restore());
                DestroyJobsOfUnknownUsers(jobs, config.Users);
            }

            var sessions = new SessionStore(time, options.SessionIdleTimeout);
            var users = new UserDirectory(config.Users, new LoginThrottle(time));
            var api = new SpallocHttpApi(config, jobs, sessions, users, hub);
            jobs.JobDestroyed += hub.CloseJob;
            var app = Build(options, certificate, api);
            var server = new SpallocServer(config, time, app, hub, api, jobs, sessions, users, stateFile);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                server.ReadBoundAddress(certificate is not null);
                return server;
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            hub.Dispose();
            stateFile?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Applies a configuration read afresh (checked as a start checks it, with the flags this server started with): the
    /// users and the settings <see cref="SpallocConfigChanges"/> calls live; machine and the other settings keep their
    /// values until a restart (<see cref="SpallocConfigChanges.NeedRestart"/> names those that differ). Then takes access
    /// away from whoever lost it, leaving everyone else as they were: the sessions of users removed or given a new token
    /// are forgotten; websockets of those users, and of former admins on others' jobs, are closed (1008); the jobs of
    /// removed users are destroyed. Reloads run one at a time.
    /// </summary>
    /// <remarks>
    /// The users are one immutable table swapped at once: a login or request sees the old users or the new ones. One
    /// under way during the swap may finish as it would have just before it; whatever it leaves behind is caught
    /// afterwards (a session is checked against the users at its next request, a websocket or job made for a removed
    /// user is closed or destroyed as soon as the request that made it sees the new table).
    /// </remarks>
    public SpallocReloadResult Reload(SpallocConfig read)
    {
        ArgumentNullException.ThrowIfNull(read);
        lock (_reloadGate)
        {
            var changes = SpallocConfigChanges.Between(Config, read);
            var applied = changes.Applied;
            Jobs.MaxJobsPerUser = applied.Server.MaxJobsPerUser;
            Sessions.IdleTimeout = applied.Server.SessionIdleTimeout;
            _api.Options = applied.Server;
            _users.Replace(applied.Users);
            Volatile.Write(ref _config, applied);

            var sessions = Sessions.RemoveWhere(user => _users.Current(user) is null);
            var webSockets = _hub.CloseWhere(
                s => s.Access is { } access && !_users.MayUseJob(access.User, access.JobOwner),
                ProxyShutdownReason.AccessRevoked,
                System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation,
                SpallocHttpApi.AccessRevokedDescription);
            var removed = changes.UsersRemoved.ToHashSet(StringComparer.Ordinal);
            var jobs = removed.Count == 0 ? [] : Jobs.DestroyOwnedBy(removed.Contains, SpallocHttpApi.RemovedUserReason);
            return new SpallocReloadResult(changes, sessions, webSockets, jobs);
        }
    }

    /// <summary>
    /// Restored jobs whose owner the configuration no longer lists are destroyed, as a reload destroys the jobs of a user
    /// it removes: nobody but an admin could use them or keep them alive, so they would only hold boards until they lapse.
    /// </summary>
    private static void DestroyJobsOfUnknownUsers(JobBoard jobs, IReadOnlyList<SpallocUser> users)
    {
        var configured = users.Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
        var destroyed = jobs.DestroyOwnedBy(owner => !configured.Contains(owner), SpallocHttpApi.RemovedUserReason);
        if (destroyed.Count > 0)
        {
            Log.Info(ProxyHub.Component, $"destroyed restored job(s) {string.Join(", ", destroyed)}: their users are no longer in the configuration");
        }
    }

    /// <summary>Expires lapsed jobs and idle sessions, and disconnects stalled clients. Runs every second; tests call it directly.</summary>
    internal void RunHousekeeping()
    {
        try
        {
            Jobs.ExpireLapsed();
            Sessions.ExpireIdle();
            _hub.CheckStalls();
        }
        catch (Exception ex)
        {
            Log.Error(ProxyHub.Component, $"housekeeping failed: {ex}");
        }
    }

    /// <summary>
    /// Closes every websocket (bounded), stops Kestrel and the UDP loop, and destroys every job unless jobs are kept
    /// in a state file (then they stay as they are, for the next start). Idempotent.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _housekeeping.DisposeAsync().ConfigureAwait(false);
        await _hub.CloseAllAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _app.StopAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Connections that did not finish in time are dropped.
            }
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        try
        {
            if (Jobs.IsPersistent)
            {
                Jobs.SaveIfChanged();
            }
            else
            {
                Jobs.DestroyAll("server stopped");
            }
        }
        finally
        {
            _hub.Dispose();
            _stateFile?.Dispose(); // after the last save: the next server may take the file now
        }
    }

    private static WebApplication Build(SpallocServerOptions options, X509Certificate2? certificate, SpallocHttpApi api)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new LogBridge());
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IConnectionListenerFactory>(new StreamTransport());
        if (certificate is not null)
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 1 << 20;
            kestrel.Limits.MaxConcurrentConnections = 1000;
            kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
        });
        var app = builder.Build();
        // Proxy websockets write through a GatheringStream, so a batch of frames is one write (ProxySession.Send.cs).
        app.Use(static (context, next) =>
        {
            GatheringUpgrade.Install(context);
            return next(context);
        });
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = options.PingInterval });
        app.Run(api.HandleAsync);
        return app;
    }

    private void ReadBoundAddress(bool tls)
    {
        var addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new IOException("Kestrel reported no bound address");
        var uri = new Uri(first);
        EndPoint = new IPEndPoint(IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? ip : Config.Server.Listen.Address, uri.Port);
        var host = EndPoint.Address.Equals(IPAddress.Any) ? "127.0.0.1" : EndPoint.Address.Equals(IPAddress.IPv6Any) ? "[::1]" : uri.Host;
        BaseUri = new Uri($"{(tls ? "https" : "http")}://{host}:{uri.Port}{Config.Server.NormalizedBasePath}/");
    }

    /// <summary>Most bytes of a certificate file (1 MiB: far beyond a chain; short of a wrong file such as /dev/zero).</summary>
    private const int MaxCertificateFileBytes = 1 << 20;

    /// <summary>A PEM certificate (with its key inside or in <paramref name="keyPath"/>) or a PKCS#12 file without a password.</summary>
    internal static X509Certificate2 LoadCertificate(string certPath, string? keyPath)
    {
        try
        {
            var text = BoundedFile.ReadText(certPath, MaxCertificateFileBytes);
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                var key = keyPath is null ? text : BoundedFile.ReadText(keyPath, MaxCertificateFileBytes);
                return PemCertificate.Load(text, key);
            }

            return X509CertificateLoader.LoadPkcs12FromFile(certPath, null);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new SpallocCertificateException($"cannot load the TLS certificate {certPath}{(keyPath is null ? "" : " with key " + keyPath)}: {ex.Message}", ex);
        }
    }
}
