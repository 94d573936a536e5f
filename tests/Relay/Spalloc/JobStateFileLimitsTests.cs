using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Relay.Spalloc.Server.Internal;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>
/// The job state file at and past its limits: larger than a state file can be, and well-formed records with the
/// largest values their types hold (durations, dates, rectangle sizes). Each loads and runs (allocation, expiry,
/// listing) or is one clear error naming the file; none throws anything else or hangs.
/// </summary>
public sealed class JobStateFileLimitsTests : IDisposable
{
    private static readonly SpallocMachine Machine = SpallocTestServer.Config([(0, 0, 0), (0, 0, 1), (0, 0, 2), (1, 0, 0)], new SpallocServerOptions()).Machine;

    private readonly string _directory = Directory.CreateTempSubdirectory("spalloc-state-").FullName;

    private string StatePath => Path.Combine(_directory, "jobs.json");

    [Fact]
    public void A_file_larger_than_a_state_file_is_refused_unread_naming_its_size()
    {
        using (var file = File.Create(StatePath))
        {
            file.Write("{\"format\": 1, "u8);
            file.SetLength(JobStateFile.MaxBytes + 1); // sparse: nothing of it is written to disk
        }

        var ex = Assert.Throws<SpallocStateFileException>(() => new JobStateFile(StatePath).Load());
        Assert.Contains($"it is {JobStateFile.MaxBytes + 1} bytes, more than a state file's {JobStateFile.MaxBytes}", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith($"job state file {StatePath}: ", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> Extremes => new()
    {
        Job("\"QUEUED\"", "\"keepalive-interval\": \"10675199.02:48:05.4775807\"", """{"kind": "any-one"}"""),
        Job("\"QUEUED\"", "\"keepalive-interval\": \"00:00:00.0000001\"", """{"kind": "any-one"}"""),
        Job("\"QUEUED\"", "\"keepalive-interval\": \"-00:00:01\"", """{"kind": "any-one"}"""),
        Job("\"QUEUED\"", "\"keepalive-interval\": \"00:02:00\"", """{"kind": "rectangle", "width": 2147483647, "height": 2147483647, "tolerance": 2147483647}"""),
        Job("\"QUEUED\"", "\"keepalive-interval\": \"00:02:00\"", """{"kind": "rectangle", "width": 1, "height": 1, "root": [2147483647, -2147483648], "tolerance": -2147483648}"""),
        Job("\"QUEUED\"", "\"keepalive-interval\": \"00:02:00\"", """{"kind": "rectangle", "width": 46341, "height": 46341}"""),
        Job("\"QUEUED\"", "\"keepalive-interval\": \"00:02:00\"", """{"kind": "board", "board": [2147483647, 0, 0]}"""),
        Job("\"READY\"", "\"keepalive-interval\": \"00:02:00\"", """{"kind": "any-one"}""",
            """, "boards": [[0, 0, 0]], "root-chip": [2147483647, 2147483647], "size-chips": [2147483647, 2147483647], "depth": 1"""),
        Job("\"DESTROYED\"", "\"keepalive-interval\": \"00:02:00\"", """{"kind": "any-one"}""", """, "finished": "9999-12-31T23:59:59.9999999+00:00", "reason": "x" """),
        Job("\"QUEUED\"", "\"keepalive-interval\": \"00:02:00\"", """{"kind": "any-one"}""", "", "0001-01-01T00:00:00+00:00"),
        Job("\"QUEUED\"", "\"keepalive-interval\": \"10675199.02:48:05.4775807\"", """{"kind": "any-one"}""", "", "9999-12-31T23:59:59.9999999+00:00"),
        Job("\"QUEUED\"", "\"keepalive-interval\": \"00:02:00\"", """{"kind": "any-one"}""", "", "0001-01-01T00:00:00+14:00"),
    };

    [Theory]
    [MemberData(nameof(Extremes))]
    public void Records_with_the_largest_values_load_and_run_or_are_a_clear_error(string document)
    {
        File.WriteAllText(StatePath, document);
        var time = new ManualTime();
        var board = new JobBoard(Machine, time, 8, new JobStateFile(StatePath));
        try
        {
            board.Restore();
        }
        catch (SpallocStateFileException ex)
        {
            Assert.StartsWith($"job state file {StatePath}: ", ex.Message, StringComparison.Ordinal);
            return;
        }

        // Loaded: the board goes on working with it, through the ages a running server would see.
        Assert.NotNull(board.List("alice", admin: true, includeDestroyed: true));
        foreach (TimeSpan step in new[] { TimeSpan.Zero, TimeSpan.FromDays(1), TimeSpan.FromDays(365 * 100) })
        {
            time.Advance(step);
            board.ExpireLapsed();
            board.Create("bob", new BoardRequest.AnyOne(), TimeSpan.FromSeconds(60), null, out _, out _); // placed, queued or refused
        }

        board.DestroyAll("test: done");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string Job(string state, string interval, string request, string extra = "", string lastKeepalive = "2026-01-01T00:00:00+00:00") =>
        $$"""{"format": 1, "last-job-id": 1, "jobs": [{"id": 1, "owner": "alice", "state": {{state}}, {{interval}}, "created": "2026-01-01T00:00:00+00:00", "last-keepalive": "{{lastKeepalive}}", "request": {{request}}{{extra}}}]}""";
}
