using System.Net;
using System.Text;
using System.Text.Json;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

/// <summary>An HTTP client that talks to the service as spinnman's Session does: cookie jar, CSRF header on changes, no redirects.</summary>
internal sealed class SpallocHttp : IDisposable
{
    private readonly HttpClient _client;

    public SpallocHttp(Uri baseUri)
    {
        BaseUri = baseUri;
        _client = new HttpClient(new SocketsHttpHandler
        {
            CookieContainer = Cookies,
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },   // the TLS test's self-signed certificate
        })
        {
            Timeout = Loopback.Limit,
        };
    }

    public Uri BaseUri { get; }

    public CookieContainer Cookies { get; } = new();

    public string? CsrfHeader { get; private set; }

    public string? Csrf { get; private set; }

    public string? JobsUrl { get; private set; }

    public string? MachinesUrl { get; private set; }

    public async Task<HttpResponseMessage> LoginAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, "system/login.html"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return await _client.SendAsync(request);
    }

    public async Task<JsonElement> ServiceAsync()
    {
        var root = await JsonAsync(new Uri(BaseUri, "srv/spalloc/").ToString());
        CsrfHeader = root.GetProperty("csrf-header").GetString();
        Csrf = root.GetProperty("csrf-token").GetString();
        JobsUrl = root.GetProperty("jobs-ref").GetString();
        MachinesUrl = root.GetProperty("machines-ref").GetString();
        return root;
    }

    public Task<HttpResponseMessage> GetAsync(string url) => _client.GetAsync(url);

    public async Task<JsonElement> JsonAsync(string url)
    {
        using var response = await _client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>POSTs a job request; returns the status and the Location header.</summary>
    public async Task<(HttpStatusCode Status, string? Location, string Body)> CreateJobAsync(string json, bool csrf = true)
    {
        using var request = Request(HttpMethod.Post, JobsUrl!, csrf);
        request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _client.SendAsync(request);
        return (response.StatusCode, response.Headers.Location?.ToString(), await response.Content.ReadAsStringAsync());
    }

    /// <summary>Creates a job that must succeed; returns its URL.</summary>
    public async Task<string> CreateJobAsync(int boards = 1, string keepalive = "PT120S")
    {
        var (status, location, body) = await CreateJobAsync($$"""{"num-boards": {{boards}}, "keepalive-interval": "{{keepalive}}", "tags": ["default"]}""");
        Assert.True(status == HttpStatusCode.Created, body);
        return location!;
    }

    public async Task<string> StateAsync(string jobUrl) => (await JsonAsync(jobUrl)).GetProperty("state").GetString()!;

    public async Task<Uri> ProxyUriAsync(string jobUrl) => new((await JsonAsync(jobUrl)).GetProperty("proxy-ref").GetString()!);

    public async Task<HttpStatusCode> KeepaliveAsync(string jobUrl, bool csrf = true)
    {
        using var request = Request(HttpMethod.Put, jobUrl + "/keepalive", csrf);
        request.Content = new StringContent("alive", Encoding.UTF8, "text/plain");
        using var response = await _client.SendAsync(request);
        return response.StatusCode;
    }

    public async Task<HttpStatusCode> DeleteAsync(string jobUrl, string reason = "finished")
    {
        using var request = Request(HttpMethod.Delete, jobUrl + "?reason=" + Uri.EscapeDataString(reason), csrf: true);
        using var response = await _client.SendAsync(request);
        return response.StatusCode;
    }

    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request) => _client.SendAsync(request);

    public HttpRequestMessage Request(HttpMethod method, string url, bool csrf)
    {
        var request = new HttpRequestMessage(method, url);
        if (csrf && CsrfHeader is not null)
        {
            request.Headers.Add(CsrfHeader, Csrf);
        }

        return request;
    }

    public void Dispose() => _client.Dispose();
}
