using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Spalloc.Client.Internal;

namespace FastSpinnRelay.Relay.Spalloc.Client;

/// <summary>
/// The HTTP side of a Spalloc service (protocols.md §7.1): logs in (bearer token, or the login form with its
/// <c>_csrf</c> field), keeps the session cookie and CSRF token, and renews the session once when a call gets 401.
/// Every call has a time limit and fails with a <see cref="SpallocClientException"/> whose message names the URL and
/// the HTTP status or the cause. Thread-safe for concurrent calls (a keepalive loop beside a wait).
/// </summary>
public sealed partial class SpallocClient : IDisposable
{
    /// <summary>
    /// Largest answer body read (8 MiB): the biggest machine or job list is a few hundred KiB. A longer (or endless) one
    /// is a service failure, not a buffer that grows until the relay runs out of memory.
    /// </summary>
    public const int MaxAnswerBytes = 8 << 20;

    private static readonly TimeSpan LongPoll = TimeSpan.FromSeconds(30);

    private readonly HttpClient _http;
    private readonly SpallocCredentials _credentials;
    private readonly SemaphoreSlim _login = new(1, 1);
    private int _loginGeneration;
    private ServiceRootDto? _root;

    /// <summary>A client for <paramref name="service"/> (the base URL, e.g. https://host/spalloc/); nothing is sent yet.</summary>
    public SpallocClient(Uri service, SpallocCredentials credentials, SpallocClientOptions? options = null)
    {
        Options = options ?? new SpallocClientOptions();
        Service = service.AbsoluteUri.EndsWith('/') ? service : new Uri(service.AbsoluteUri + "/");
        _credentials = credentials;
        var handler = new SocketsHttpHandler { CookieContainer = Cookies, AllowAutoRedirect = false, UseCookies = true, Proxy = Options.Proxy };
        if (Options.Insecure)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }

        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan, MaxResponseContentBufferSize = MaxAnswerBytes };
    }

    /// <summary>The service's base URL (with a trailing slash).</summary>
    public Uri Service { get; }

    /// <summary>The time limits.</summary>
    public SpallocClientOptions Options { get; }

    /// <summary>The session cookie jar (the proxy websocket needs it).</summary>
    public CookieContainer Cookies { get; } = new();

    /// <summary>The CSRF header name, after login.</summary>
    public string? CsrfHeader => _root?.CsrfHeader;

    /// <summary>The session's CSRF token, after login.</summary>
    public string? CsrfToken => _root?.CsrfToken;

    /// <summary>Logs in (again) and reads the service root: where jobs and machines are, and the CSRF token.</summary>
    public async Task LoginAsync(CancellationToken cancellationToken = default)
    {
        var generation = Volatile.Read(ref _loginGeneration);
        await _login.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (generation != _loginGeneration && _root is not null)
            {
                return; // another call renewed the session meanwhile
            }

            var page = new Uri(Service, "system/login.html");
            if (_credentials.HasToken)
            {
                using var response = await SendRawAsync(() => WithBearer(new HttpRequestMessage(HttpMethod.Get, page)), Options.RequestTimeout, cancellationToken)
                    .ConfigureAwait(false);
                await ExpectSuccessAsync(response, "log in with the token", cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await FormLoginAsync(page, cancellationToken).ConfigureAwait(false);
            }

            var rootUrl = new Uri(Service, "srv/spalloc/");
            using (var response = await SendRawAsync(() => WithBearer(new HttpRequestMessage(HttpMethod.Get, rootUrl)), Options.RequestTimeout, cancellationToken)
                .ConfigureAwait(false))
            {
                await ExpectSuccessAsync(response, "read the service root", cancellationToken).ConfigureAwait(false);
                var root = await ReadJsonAsync(response, ClientJsonContext.Default.ServiceRootDto, cancellationToken).ConfigureAwait(false);
                if (root?.JobsRef is null || root.MachinesRef is null)
                {
                    throw Fail(SpallocFailure.Service, response, "the service root has no jobs-ref or machines-ref");
                }

                _root = root;
            }

            _loginGeneration++;
        }
        finally
        {
            _login.Release();
        }
    }

    /// <summary>The service's machines.</summary>
    public async Task<IReadOnlyList<SpallocMachineInfo>> ListMachinesAsync(CancellationToken cancellationToken = default)
    {
        var root = await RootAsync(cancellationToken).ConfigureAwait(false);
        var dto = await GetJsonAsync(FixUrl(root.MachinesRef!), ClientJsonContext.Default.MachinesDto, Options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return (dto.Machines ?? []).Select(m => new SpallocMachineInfo(m.Name ?? "?", m.Tags ?? [], m.Width, m.Height)).ToList();
    }

    /// <summary>The caller's jobs (URLs), as the service lists them.</summary>
    public async Task<IReadOnlyList<Uri>> ListJobsAsync(CancellationToken cancellationToken = default)
    {
        var root = await RootAsync(cancellationToken).ConfigureAwait(false);
        var dto = await GetJsonAsync(FixUrl(root.JobsRef!), ClientJsonContext.Default.JobListDto, Options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        return (dto.Jobs ?? []).Select(FixUrl).ToList();
    }

    /// <summary>Creates a job and returns its URL.</summary>
    public async Task<Uri> CreateJobAsync(SpallocJobRequest request, CancellationToken cancellationToken = default)
    {
        if (request.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(request));
        }

        var root = await RootAsync(cancellationToken).ConfigureAwait(false);
        var url = FixUrl(root.JobsRef!);
        var body = JsonSerializer.Serialize(request.ToDto(), ClientJsonContext.Default.CreateJobDto);
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") },
            mutating: true,
            Options.RequestTimeout,
            cancellationToken).ConfigureAwait(false);
        await ExpectSuccessAsync(response, "create a job", cancellationToken).ConfigureAwait(false);
        return response.Headers.Location is { } location
            ? FixUrl(new Uri(url, location).AbsoluteUri)
            : throw Fail(SpallocFailure.Service, response, "the new job has no Location");
    }

    /// <summary>The URL of job <paramref name="job"/>: a number (under the service's jobs-ref) or a URL as given.</summary>
    public async Task<Uri> JobUrlAsync(string job, CancellationToken cancellationToken = default)
    {
        if (int.TryParse(job, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            var root = await RootAsync(cancellationToken).ConfigureAwait(false);
            return FixUrl(root.JobsRef!.TrimEnd('/') + "/" + id.ToString(CultureInfo.InvariantCulture));
        }

        return Uri.TryCreate(job, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new ArgumentException($"'{Log.Escape(job, 80)}' is neither a job number nor an http(s) URL", nameof(job));
    }

    /// <summary>The job's state; with <paramref name="waitForChange"/> the service may hold the answer (up to 30 s) until it changes.</summary>
    public async Task<SpallocJobInfo> GetJobAsync(Uri job, bool waitForChange = false, CancellationToken cancellationToken = default)
    {
        var url = waitForChange ? new Uri(job.AbsoluteUri + "?wait=true") : job;
        var dto = await GetJsonAsync(url, ClientJsonContext.Default.JobStateDto, Options.RequestTimeout + (waitForChange ? LongPoll : TimeSpan.Zero), cancellationToken)
            .ConfigureAwait(false);
        return new SpallocJobInfo(
            job,
            dto.State ?? "UNKNOWN",
            dto.Owner,
            dto.ProxyRef is { } proxy && Uri.TryCreate(proxy, UriKind.Absolute, out var p) ? p : null,
            dto.Reason)
        {
            KeepaliveTime = DateTimeOffset.TryParse(dto.KeepaliveTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time : null,
        };
    }

    /// <summary>
    /// Waits until the job is READY, writing each state change to <paramref name="progress"/>; fails when the job is
    /// destroyed or <paramref name="timeout"/> passes.
    /// </summary>
    public async Task<SpallocJobInfo> WaitUntilReadyAsync(Uri job, TimeSpan timeout, TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        string? last = null;
        var info = await GetJobAsync(job, false, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            if (info.State != last)
            {
                progress?.WriteLine($"job {job}: {info.State}{(info.Reason is { } r ? " (" + Log.Escape(r, 100) + ")" : "")}");
                last = info.State;
            }

            if (info.IsReady)
            {
                return info;
            }

            if (info.IsDestroyed)
            {
                throw new SpallocClientException(SpallocFailure.Service, $"{job}: the job was destroyed: {Log.Escape(info.Reason ?? "no reason given", 100)}");
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new SpallocClientException(SpallocFailure.Timeout, $"{job}: still {info.State} after {timeout.TotalSeconds:0.#} s");
            }

            info = await GetJobAsync(job, true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Tells the service the job is still wanted.</summary>
    public async Task KeepaliveAsync(Uri job, CancellationToken cancellationToken = default)
    {
        var url = new Uri(job.AbsoluteUri.TrimEnd('/') + "/keepalive");
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent("alive", Encoding.UTF8, "text/plain") },
            mutating: true,
            Options.RequestTimeout,
            cancellationToken).ConfigureAwait(false);
        await ExpectSuccessAsync(response, "keep the job alive", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Keeps the job alive every <paramref name="interval"/> until cancelled. A failed keepalive is reported to
    /// <paramref name="onError"/> and retried at the next interval; the loop ends early only when the job is gone (404/409).
    /// </summary>
    public async Task RunKeepaliveAsync(Uri job, TimeSpan interval, Action<SpallocClientException>? onError, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                await KeepaliveAsync(job, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SpallocClientException ex)
            {
                onError?.Invoke(ex);
                if (ex.Status is 404 or 409 or 410)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The job's boards (Ethernet chips relative to the job's root, and addresses); empty while it has none.</summary>
    public async Task<IReadOnlyList<SpallocBoardConnection>> GetBoardsAsync(Uri job, CancellationToken cancellationToken = default)
    {
        var url = new Uri(job.AbsoluteUri.TrimEnd('/') + "/machine");
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), mutating: false, Options.RequestTimeout, cancellationToken)
            .ConfigureAwait(false);
        await ExpectSuccessAsync(response, "read the job's boards", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NoContent)
        {
            return [];
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(text);
            var boards = new List<SpallocBoardConnection>();
            foreach (var connection in document.RootElement.GetProperty("connections").EnumerateArray())
            {
                var chip = connection[0];
                // The address is only shown (the ports table, --ports-file): escaped, so the service cannot add lines to either.
                boards.Add(new SpallocBoardConnection(chip[0].GetInt32(), chip[1].GetInt32(), Log.Escape(connection[1].GetString() ?? "", 64)));
            }

            return boards;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or IndexOutOfRangeException or FormatException)
        {
            throw Fail(SpallocFailure.Service, response, "the job's machine is not the expected JSON: " + Log.Escape(ex.Message, 100));
        }
    }

    /// <summary>Destroys the job (the service frees its boards and closes its websockets).</summary>
    public async Task DestroyAsync(Uri job, string reason = "destroyed by relay spalloc", CancellationToken cancellationToken = default)
    {
        var url = new Uri(job.AbsoluteUri + "?reason=" + Uri.EscapeDataString(reason));
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, url), mutating: true, Options.RequestTimeout, cancellationToken)
            .ConfigureAwait(false);
        await ExpectSuccessAsync(response, "destroy the job", cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _http.Dispose();
        _login.Dispose();
    }

    /// <summary>
    /// URLs the service hands back keep the scheme the user gave (spinnman forces https; we follow the service URL). One
    /// that is missing or does not parse is the service's fault: a <see cref="SpallocClientException"/> naming it.
    /// </summary>
    internal Uri FixUrl(string? url)
    {
        try
        {
            var parsed = new Uri(Service, url ?? throw new UriFormatException("no URL given"));
            return parsed.Scheme == Service.Scheme || parsed.Scheme is not ("http" or "https")
                ? parsed
                : new UriBuilder(parsed) { Scheme = Service.Scheme, Port = parsed.IsDefaultPort ? -1 : parsed.Port }.Uri;
        }
        catch (UriFormatException ex)
        {
            throw new SpallocClientException(SpallocFailure.Service, $"{Service}: the service gave the URL '{Log.Escape(url ?? "", 100)}', which does not parse: {ex.Message}");
        }
    }

    private async Task<ServiceRootDto> RootAsync(CancellationToken cancellationToken)
    {
        if (_root is null)
        {
            await LoginAsync(cancellationToken).ConfigureAwait(false);
        }

        return _root!;
    }

    private async Task FormLoginAsync(Uri page, CancellationToken cancellationToken)
    {
        string html;
        using (var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Get, page), Options.RequestTimeout, cancellationToken).ConfigureAwait(false))
        {
            await ExpectSuccessAsync(response, "read the login form", cancellationToken).ConfigureAwait(false);
            html = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }

        var csrf = LoginFormCsrf.Find(html);
        if (csrf is null)
        {
            throw new SpallocClientException(SpallocFailure.Service, $"GET {page}: the login form has no _csrf field");
        }

        var form = new Uri(Service, "system/perform_login");
        using var login = await SendRawAsync(
            () => new HttpRequestMessage(HttpMethod.Post, form)
            {
                Content = new FormUrlEncodedContent(
                [
                    new("_csrf", WebUtility.HtmlDecode(csrf)),
                    new("username", _credentials.User ?? ""),
                    new("password", _credentials.Password ?? ""),
                    new("submit", "submit"),
                ]),
            },
            Options.RequestTimeout,
            cancellationToken).ConfigureAwait(false);
        var redirect = login.Headers.Location?.OriginalString ?? "";
        if (login.StatusCode is not (HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.OK)
            || redirect.Contains("error", StringComparison.OrdinalIgnoreCase))
        {
            await ExpectSuccessAsync(login, $"log in as {_credentials.User}", cancellationToken).ConfigureAwait(false);
            throw Fail(SpallocFailure.Service, login, $"log in as {_credentials.User} was not accepted (bad credentials?)");
        }
    }

    private async Task<T> GetJsonAsync<T>(Uri url, JsonTypeInfo<T> type, TimeSpan timeout, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), mutating: false, timeout, cancellationToken).ConfigureAwait(false);
        await ExpectSuccessAsync(response, null, cancellationToken).ConfigureAwait(false);
        return await ReadJsonAsync(response, type, cancellationToken).ConfigureAwait(false)
            ?? throw Fail(SpallocFailure.Service, response, "empty JSON answer");
    }

    private static async Task<T?> ReadJsonAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            throw Fail(SpallocFailure.Service, response, "not the expected JSON: " + Log.Escape(ex.Message, 100));
        }
    }

    /// <summary>Sends with the session (and CSRF header when it changes something); on 401 logs in again once and resends.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> make, bool mutating, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await RootAsync(cancellationToken).ConfigureAwait(false);
        var response = await SendRawAsync(() => Decorate(make(), mutating), timeout, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        response.Dispose();
        Log.Info("spalloc", $"{Service}: session expired, logging in again");
        await LoginAsync(cancellationToken).ConfigureAwait(false);
        return await SendRawAsync(() => Decorate(make(), mutating), timeout, cancellationToken).ConfigureAwait(false);
    }

    private HttpRequestMessage Decorate(HttpRequestMessage request, bool mutating)
    {
        if (mutating && _root is { CsrfHeader: { } header, CsrfToken: { } token })
        {
            request.Headers.TryAddWithoutValidation(header, token);
        }

        return WithBearer(request);
    }

    private HttpRequestMessage WithBearer(HttpRequestMessage request)
    {
        if (_credentials.HasToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _credentials.Token);
        }

        return request;
    }

    /// <summary>One request with its own time limit; transport failures become one-line <see cref="SpallocClientException"/>s.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> make, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = make();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SpallocClientException(SpallocFailure.Timeout, $"{request.Method} {Describe(request.RequestUri)}: no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConfigurationLimitExceeded)
        {
            throw new SpallocClientException(
                SpallocFailure.Service, $"{request.Method} {Describe(request.RequestUri)}: the answer is larger than this client reads ({MaxAnswerBytes} bytes)", ex);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ProxyTunnelError)
        {
            var why = ex.StatusCode == HttpStatusCode.ProxyAuthenticationRequired
                ? $"the HTTP proxy wants credentials, or refused those given (407): check the user and password in {HttpProxyChoice.OptionName} or in the proxy variable"
                : ex.StatusCode is { } status
                    ? $"the HTTP proxy did not open a tunnel to the service: {(int)status} {status}"
                    : $"the HTTP proxy did not open a tunnel to the service: {Log.Escape(ex.Message, 160)}";
            throw new SpallocClientException(SpallocFailure.Network, $"{request.Method} {Describe(request.RequestUri)}: {why}", ex);
        }
        catch (HttpRequestException ex)
        {
            var cause = ex.InnerException is SocketException socket ? socket.Message : ex.Message;
            throw new SpallocClientException(SpallocFailure.Network, $"{request.Method} {Describe(request.RequestUri)}: cannot reach the service: {Log.Escape(cause, 160)}", ex);
        }
    }

    private static async Task ExpectSuccessAsync(HttpResponseMessage response, string? what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = "";
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (text.TrimStart().StartsWith('{'))
            {
                text = JsonSerializer.Deserialize(text, ClientJsonContext.Default.MessageDto)?.Message ?? text;
            }
        }
        catch (Exception ex) when (ex is JsonException or HttpRequestException or IOException)
        {
            // The status says enough.
        }

        var detail = (what is null ? "" : $"cannot {what}: ") + (text.Length > 0 ? Log.Escape(text.Trim(), 160) : "");
        throw Fail(SpallocFailure.Service, response, detail);
    }

    private static SpallocClientException Fail(SpallocFailure failure, HttpResponseMessage response, string detail)
    {
        var request = response.RequestMessage;
        var status = string.Create(CultureInfo.InvariantCulture, $"{(int)response.StatusCode} {response.ReasonPhrase}");
        return new SpallocClientException(
            failure, $"{request?.Method} {Describe(request?.RequestUri)}: {status}{(detail.Length > 0 ? ": " + detail : "")}", null, (int)response.StatusCode);
    }

    private static string Describe(Uri? url) => url is null ? "?" : url.GetLeftPart(UriPartial.Path);
}
