using System.Text;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Relay.Spalloc.Client;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc.Client;

/// <summary>
/// The client against a broken or hostile service: answers cut short, mutated, random, oversized and endless, and
/// URLs that do not parse. Every call returns a value or fails with a <see cref="SpallocClientException"/> (the one
/// line and exit code the verbs promise), in bounded time and memory.
/// </summary>
public sealed class SpallocClientBadAnswerTests : IAsyncLifetime
{
    private const int AnswersPerResource = 150;

    private static readonly (string Path, string Json)[] Resources =
    [
        ("srv/spalloc/", """{"jobs-ref": "http://127.0.0.1:1/spalloc/srv/spalloc/jobs", "machines-ref": "http://127.0.0.1:1/spalloc/srv/spalloc/machines", "csrf-header": "X-CSRF-TOKEN", "csrf-token": "t"}"""),
        ("srv/spalloc/machines", """{"machines": [{"name": "m", "tags": ["default"], "width": 1, "height": 1}]}"""),
        ("srv/spalloc/jobs", """{"jobs": ["http://127.0.0.1:1/spalloc/srv/spalloc/jobs/1", "jobs/2"]}"""),
        ("srv/spalloc/jobs/1", """{"state": "READY", "owner": "alice", "proxy-ref": "ws://127.0.0.1:1/spalloc/proxy/1", "keepalive-time": "2026-01-01T00:00:00Z"}"""),
        ("srv/spalloc/jobs/1/machine", """{"connections": [[[0, 0], "127.0.0.1"], [[8, 4], "127.0.0.2"]]}"""),
    ];

    private ScriptedService _service = null!;

    public async Task InitializeAsync() => _service = await ScriptedService.StartAsync();

    public async Task DisposeAsync() => await _service.DisposeAsync();

    public static TheoryData<string> BadUrls => ["http://[::1", "http://host:99999/x", "http://a b/", "https://[zz]/"];

    [Theory]
    [MemberData(nameof(BadUrls))]
    public async Task A_url_from_the_service_that_does_not_parse_is_a_service_failure(string url)
    {
        string root = $$"""{"jobs-ref": "{{Json(url)}}", "machines-ref": "{{Json(url)}}", "csrf-header": "X", "csrf-token": "t"}""";
        _service.Json("srv/spalloc/", root);
        using var client = Client();
        await AssertServiceFailureAsync(() => client.ListMachinesAsync());
        await AssertServiceFailureAsync(() => client.ListJobsAsync());
        await AssertServiceFailureAsync(() => client.JobUrlAsync("7"));

        UseGoodRoot();
        _service.Json("srv/spalloc/jobs", $$"""{"jobs": ["{{Json(url)}}"]}""");
        using var second = Client();
        await AssertServiceFailureAsync(() => second.ListJobsAsync());
    }

    [Fact]
    public async Task A_job_listed_as_null_is_a_service_failure()
    {
        UseGoodRoot();
        _service.Json("srv/spalloc/jobs", """{"jobs": [null]}""");
        using var client = Client();
        await AssertServiceFailureAsync(() => client.ListJobsAsync());
    }

    [Fact]
    public async Task A_board_address_from_the_service_is_escaped_and_cut()
    {
        UseGoodRoot();
        _service.Json("srv/spalloc/jobs/1/machine", $$"""{"connections": [[[0, 0], "10.0.0.1\n<3>forged"], [[8, 4], "{{new string('a', 1000)}}"]]}""");
        using var client = Client();

        var boards = await client.GetBoardsAsync(Job);

        Assert.Equal(@"10.0.0.1\x0a<3>forged", boards[0].Address);
        Assert.True(boards[1].Address.Length <= 65, boards[1].Address);
    }

    [Fact]
    public async Task Every_cut_of_every_answer_is_a_value_or_a_service_failure()
    {
        foreach (var (path, json) in Resources)
        {
            UseGoodRoot();
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            for (int length = 0; length < bytes.Length; length++)
            {
                _service.Json(path, bytes[..length]);
                await CallAsync(path);
            }
        }
    }

    [Fact]
    public async Task Random_and_mutated_answers_are_a_value_or_a_service_failure()
    {
        foreach (var (path, json) in Resources)
        {
            UseGoodRoot();
            var answers = new List<byte[]>();
            FuzzInputs.Run(seed: path.Length, [Encoding.UTF8.GetBytes(json)], maxRandomLength: 200, AnswersPerResource, input => answers.Add(input.ToArray()));
            foreach (byte[] answer in answers)
            {
                _service.Json(path, answer);
                await CallAsync(path);
            }
        }
    }

    [Fact]
    public async Task Error_answers_with_random_bodies_are_one_line_service_failures()
    {
        var answers = new List<byte[]>();
        FuzzInputs.Run(seed: 500, [Encoding.UTF8.GetBytes("""{"message": "no such job"}""")], maxRandomLength: 100, AnswersPerResource, input => answers.Add(input.ToArray()));
        using var client = Client();
        foreach (byte[] answer in answers)
        {
            _service.Json("srv/spalloc/jobs/1", answer, status: 400);
            var ex = await AssertServiceFailureAsync(() => client.GetJobAsync(Job));
            Assert.Contains("400", ex.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("srv/spalloc/")]
    [InlineData("srv/spalloc/machines")]
    [InlineData("srv/spalloc/jobs/1/machine")]
    public async Task An_endless_answer_is_refused_long_before_it_could_fill_memory(string path)
    {
        UseGoodRoot();
        _service.Endless(path, "application/json", Encoding.ASCII.GetBytes(new string(' ', 64 * 1024)));

        string failure = await CallAsync(path, mustFail: true);
        Assert.Contains($"the answer is larger than this client reads ({SpallocClient.MaxAnswerBytes} bytes)", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_login_form_made_to_slow_the_csrf_search_is_a_service_failure()
    {
        // Fragments that each start a match the backtracking search followed to the end of the page: quadratic in its size.
        var html = new StringBuilder();
        while (html.Length < SpallocClient.MaxAnswerBytes - 64)
        {
            html.Append("<i name=\"_csrf\" value ");
        }

        _service.Set("system/login.html", new ScriptedService.Answer(200, "text/html", Encoding.UTF8.GetBytes(html.ToString())));
        using var client = new SpallocClient(_service.BaseUri, new SpallocCredentials("alice", "pw", null), Options);
        await AssertServiceFailureAsync(() => client.LoginAsync()).WaitAsync(Loopback.Limit);
    }

    private static readonly SpallocClientOptions Options = new() { RequestTimeout = Loopback.Limit };

    private Uri Job => new(_service.BaseUri, "srv/spalloc/jobs/1");

    private SpallocClient Client() => new(_service.BaseUri, new SpallocCredentials(null, null, "token"), Options);

    private void UseGoodRoot() => _service.Json("srv/spalloc/",
        $$"""{"jobs-ref": "{{_service.BaseUri}}srv/spalloc/jobs", "machines-ref": "{{_service.BaseUri}}srv/spalloc/machines", "csrf-header": "X-CSRF-TOKEN", "csrf-token": "t"}""");

    /// <summary>The call that reads <paramref name="path"/>, with a fresh client (the root is read at login).</summary>
    private async Task<string> CallAsync(string path, bool mustFail = false)
    {
        using var client = Client();
        Func<Task> call = path switch
        {
            "srv/spalloc/" => () => client.LoginAsync(),
            "srv/spalloc/machines" => () => client.ListMachinesAsync(),
            "srv/spalloc/jobs" => () => client.ListJobsAsync(),
            "srv/spalloc/jobs/1" => () => client.GetJobAsync(Job),
            _ => () => client.GetBoardsAsync(Job),
        };

        try
        {
            await call().WaitAsync(Loopback.Limit);
            Assert.False(mustFail, $"{path}: no failure");
            return "";
        }
        catch (SpallocClientException ex)
        {
            Assert.Equal(SpallocFailure.Service, ex.Failure);
            Assert.DoesNotContain('\n', ex.Message);
            return ex.Message;
        }
    }

    private static async Task<SpallocClientException> AssertServiceFailureAsync(Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<SpallocClientException>(call);
        Assert.Equal(SpallocFailure.Service, ex.Failure);
        Assert.DoesNotContain('\n', ex.Message);
        return ex;
    }

    private static string Json(string text) => System.Text.Json.JsonEncodedText.Encode(text).ToString();
}
