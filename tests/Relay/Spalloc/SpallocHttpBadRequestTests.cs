using System.Net;
using System.Text;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>
/// The service's own request bodies from a broken or hostile client: job requests cut short, random, mutated and
/// oversized (with and without a length), and login forms the form reader refuses. Each gets a 4xx with a one-line
/// reason; none a 500, and the service goes on serving.
/// </summary>
public sealed class SpallocHttpBadRequestTests : IAsyncLifetime
{
    private const string JobRequest = """{"num-boards": 1, "keepalive-interval": "PT60S", "tags": ["default"], "max-dead-boards": 0}""";
    private const string RectangleRequest = """{"dimensions": {"width": 1, "height": 1}, "board": {"x": 0, "y": 0, "z": 0}, "keepalive-interval": "PT60S"}""";

    private SpallocTestServer _server = null!;
    private SpallocHttp _alice = null!;

    public async Task InitializeAsync()
    {
        _server = await SpallocTestServer.StartAsync([(0, 0, 0), (0, 0, 1), (0, 0, 2)]);
        _alice = await _server.LoginAsync(SpallocTestServer.AdminToken); // no per-user job limit in the way
    }

    public async Task DisposeAsync()
    {
        _alice.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Every_cut_of_a_job_request_is_a_400_with_a_reason()
    {
        foreach (string request in new[] { JobRequest, RectangleRequest })
        {
            for (int length = 0; length < request.Length; length++)
            {
                var (status, _, body) = await _alice.CreateJobAsync(request[..length]);
                Assert.True(status == HttpStatusCode.BadRequest, $"{request[..length]}: {(int)status} {body}");
                AssertOneLine(body);
            }
        }
    }

    [Fact]
    public async Task Random_and_mutated_job_requests_are_created_or_refused_with_a_reason()
    {
        var bodies = new List<byte[]>();
        FuzzInputs.Run(seed: 41, [Encoding.UTF8.GetBytes(JobRequest), Encoding.UTF8.GetBytes(RectangleRequest)], maxRandomLength: 120, count: 600,
            input => bodies.Add(input.ToArray()));
        int created = 0;
        foreach (byte[] bytes in bodies)
        {
            using var request = _alice.Request(HttpMethod.Post, _alice.JobsUrl!, csrf: true);
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new("application/json");
            using var response = await _alice.SendAsync(request);
            string body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.BadRequest, $"{Encoding.UTF8.GetString(bytes)}: {(int)response.StatusCode} {body}");
            if (response.StatusCode == HttpStatusCode.Created)
            {
                created++;
                Assert.Equal(HttpStatusCode.NoContent, await _alice.DeleteAsync(response.Headers.Location!.ToString()));
            }
            else
            {
                AssertOneLine(body);
            }
        }

        Assert.InRange(created, 1, bodies.Count);
        Assert.Equal(HttpStatusCode.Created, (await _alice.CreateJobAsync(JobRequest)).Status);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_job_request_above_the_limit_is_refused_with_or_without_a_length(bool withLength)
    {
        // Valid JSON padded with white space past 64 KiB (the limit), far below Kestrel's 1 MiB.
        byte[] bytes = Encoding.UTF8.GetBytes(JobRequest + new string(' ', 100 * 1024));
        using var request = _alice.Request(HttpMethod.Post, _alice.JobsUrl!, csrf: true);
        request.Content = withLength ? new ByteArrayContent(bytes) : new StreamContent(new UnseekableStream(bytes));
        request.Content.Headers.ContentType = new("application/json");
        using var response = await _alice.SendAsync(request);

        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{(int)response.StatusCode} {body}");
        Assert.Contains("65536", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", "many")]
    [InlineData("multipart/form-data; boundary=xyz", "garbage")]
    [InlineData("multipart/form-data", "garbage")]
    public async Task A_login_form_the_form_reader_refuses_is_a_4xx_with_a_reason(string contentType, string kind)
    {
        string form = kind == "many"
            ? string.Join("&", Enumerable.Range(0, 5000).Select(i => $"f{i}=1"))
            : "--xyz\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nbroken";
        var http = new SpallocHttp(_server.BaseUri);
        using (http)
        {
            using var page = await http.GetAsync(new Uri(_server.BaseUri, "system/login.html").ToString());
            using var request = http.Request(HttpMethod.Post, new Uri(_server.BaseUri, "system/perform_login").ToString(), csrf: false);
            request.Content = new StringContent(form, Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
            using var response = await http.SendAsync(request);

            string body = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{(int)response.StatusCode} {body}");
            AssertOneLine(body);
        }

        Assert.Equal(HttpStatusCode.Created, (await _alice.CreateJobAsync(JobRequest)).Status); // still serving
    }

    private static void AssertOneLine(string body)
    {
        Assert.False(string.IsNullOrWhiteSpace(body), "no reason given");
        Assert.DoesNotContain('\n', body.TrimEnd('\n'));
    }

    /// <summary>A body without a length: HttpClient sends it chunked.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
