using FastSpinnRelay.Relay.Spalloc;
using FastSpinnRelay.Relay.Spalloc.Server;
using FastSpinnRelay.Relay.Spalloc.Server.Internal;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>The job state file: jobs round-trip through it, a bad file is a clear error and is left alone, writes are atomic.</summary>
public sealed class JobStateFileTests : IDisposable
{
    private static readonly TimeSpan Keepalive = TimeSpan.FromSeconds(120);
    private static readonly SpallocMachine Machine = SpallocTestServer.Config([(0, 0, 0), (0, 0, 1), (0, 0, 2), (1, 0, 0)], new SpallocServerOptions()).Machine;

    private readonly string _directory = Directory.CreateTempSubdirectory("spalloc-state-").FullName;

    private string StatePath => Path.Combine(_directory, "jobs.json");

    [Fact]
    public void Every_kind_of_job_round_trips_and_ids_go_on_after_the_last()
    {
        var time = new ManualTime();
        var first = Fresh(time);
        var anyOne = Create(first, "alice", new BoardRequest.AnyOne());
        var specific = Create(first, "bob", new BoardRequest.Specific(2));
        var rect = Create(first, "carol", new BoardRequest.Rectangle(1, 1, 0, 0, 2));   // queued: boards 0 and 2 are busy
        var gone = Create(first, "alice", new BoardRequest.AnyOne());
        time.Advance(TimeSpan.FromSeconds(5));
        first.Keepalive(anyOne, "10.0.0.9");
        first.Destroy(gone, "test: done");
        var before = first.List("carol", admin: true, includeDestroyed: true);
        Assert.Equal([JobState.Ready, JobState.Ready, JobState.Queued, JobState.Destroyed], new[] { anyOne, specific, rect, gone }.Select(j => j.State));

        var second = Board(time);
        Assert.Contains("restored 3 job(s)", second.Restore(), StringComparison.Ordinal);
        var after = second.List("carol", admin: true, includeDestroyed: true);
        Assert.Equal(before.Select(Describe), after.Select(Describe));
        Assert.Equal("10.0.0.9", second.Find(anyOne.Id)!.KeepaliveHost);
        Assert.Equal(new BoardRequest.Rectangle(1, 1, 0, 0, 2), second.Find(rect.Id)!.Request);
        Assert.Equal(new BoardRequest.Specific(2), second.Find(specific.Id)!.Request);

        // The restored board still allocates as the first did: freeing board 0 lets the queued rectangle have its triad.
        second.Destroy(second.Find(anyOne.Id)!, "test: make room");
        Assert.Equal(JobState.Queued, second.Find(rect.Id)!.State);
        second.Destroy(second.Find(specific.Id)!, "test: make room");
        Assert.Equal(JobState.Ready, second.Find(rect.Id)!.State);
        Assert.Equal(gone.Id + 1, Create(second, "bob", new BoardRequest.AnyOne()).Id);
    }

    [Fact]
    public void No_file_yet_starts_empty_and_writes_one()
    {
        var board = Board(new ManualTime());
        Assert.Contains("no job state file yet", board.Restore(), StringComparison.Ordinal);
        Assert.True(File.Exists(StatePath));
        var again = Board(new ManualTime());
        Assert.Contains("restored 0 job(s)", again.Restore(), StringComparison.Ordinal);
        Assert.Empty(again.List("x", admin: true, includeDestroyed: true));
    }

    [Fact]
    public void A_job_whose_keepalive_lapsed_while_stopped_is_expired_on_load_when_it_lapsed()
    {
        var time = new ManualTime();
        var first = Fresh(time);
        var lapsing = Create(first, "alice", new BoardRequest.Specific(0));
        var waiting = Create(first, "bob", new BoardRequest.Specific(0));   // queued behind it
        time.Advance(TimeSpan.FromSeconds(100));
        first.Keepalive(waiting, null);
        var lapsedAt = lapsing.LastKeepalive + Keepalive;

        time.Advance(TimeSpan.FromSeconds(30));   // 130 s after alice's last keepalive, 30 s after bob's
        var second = Board(time);
        Assert.Contains($"expired: {lapsing.Id}", second.Restore(), StringComparison.Ordinal);
        var expired = second.Snapshot(second.Find(lapsing.Id)!);
        Assert.Equal((JobState.Destroyed, "keepalive expired", lapsedAt), (expired.State, expired.Reason, expired.Finished));
        Assert.Equal(JobState.Ready, second.Find(waiting.Id)!.State);
    }

    [Fact]
    public void A_job_on_a_board_no_longer_configured_is_destroyed_with_the_reason()
    {
        var time = new ManualTime();
        var first = Fresh(time);
        var job = Create(first, "alice", new BoardRequest.Specific(3));
        var smaller = new SpallocMachine("testbed", ["default"], Machine.Boards.Take(3).ToArray());
        var second = new JobBoard(smaller, time, 8, new JobStateFile(StatePath));
        Assert.Contains("boards no longer configured", second.Restore(), StringComparison.Ordinal);
        Assert.Equal("lost at restart: the board it asked for (1,0,0) is no longer configured", second.Snapshot(second.Find(job.Id)!).Reason);
    }

    [Theory]
    [InlineData("this is not json", "it is not valid state JSON")]
    [InlineData("null", "it holds null instead of the job state")]
    [InlineData("""{"format": 2, "last-job-id": 0, "jobs": []}""", "its format is 2, this server reads 1")]
    [InlineData("""{"format": 1, "jobs": []}""", "last-job-id or jobs is missing")]
    [InlineData("""{"format": 1, "last-job-id": 1, "jobs": [{"id": 1}]}""", "job 1: owner is missing")]
    [InlineData("""{"format": 1, "last-job-id": 1, "jobs": [{"id": 1, "owner": "a", "state": "LOST"}]}""", "job 1: state 'LOST' is not QUEUED, READY or DESTROYED")]
    [InlineData("""{"format": 1, "last-job-id": 0, "jobs": [{"id": 1, "owner": "a", "state": "QUEUED", "keepalive-interval": "00:02:00", "created": "2026-01-01T00:00:00Z", "last-keepalive": "2026-01-01T00:00:00Z", "request": {"kind": "any-one"}}]}""", "job 1 is listed twice or is above last-job-id 0")]
    public void A_corrupt_file_is_a_clear_error_naming_it_and_is_left_alone(string text, string problem)
    {
        File.WriteAllText(StatePath, text);
        var ex = Assert.Throws<SpallocStateFileException>(() => Board(new ManualTime()).Restore());
        Assert.StartsWith($"job state file {StatePath}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("(fix it, or move it aside to start with no jobs)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(text, File.ReadAllText(StatePath));
    }

    [Fact]
    public void Two_jobs_on_one_board_is_an_error()
    {
        var first = Fresh(new ManualTime());
        Create(first, "alice", new BoardRequest.Specific(0));
        var store = new JobStateFile(StatePath);
        var document = store.Load()!;
        var copy = store.Parse(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(document, JobStateJsonContext.Default.JobStateDocument)).Jobs![0]!;
        copy.Id = 2;
        document.Jobs!.Add(copy);
        document.LastJobId = 2;
        store.Save(document);
        var ex = Assert.Throws<SpallocStateFileException>(() => Board(new ManualTime()).Restore());
        Assert.Contains("jobs 1 and 2 both hold board (0,0,0)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_truncation_of_a_file_is_a_clear_error_or_a_valid_state()
    {
        WriteSample();
        var whole = File.ReadAllBytes(StatePath);
        var store = new JobStateFile(StatePath);
        for (var length = 0; length < whole.Length; length++)
        {
            var ex = Assert.Throws<SpallocStateFileException>(() => store.Parse(whole.AsSpan(0, length)));
            Assert.StartsWith($"job state file {StatePath}: ", ex.Message, StringComparison.Ordinal);
        }

        File.WriteAllBytes(StatePath, whole[..(whole.Length / 2)]);
        Assert.Throws<SpallocStateFileException>(() => Board(new ManualTime()).Restore());
        Assert.Equal(whole.Length / 2, new FileInfo(StatePath).Length);
    }

    [Fact]
    public void Random_bytes_are_a_clear_error_never_a_crash()
    {
        var store = new JobStateFile(StatePath);
        var random = new Random(20261121);
        var buffer = new byte[512];
        for (var i = 0; i < 100_000; i++)
        {
            var length = random.Next(buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 2 == 1 && length > 0)
            {
                buffer[0] = (byte)'{';   // half start like JSON, to get past the first byte
            }

            try
            {
                store.Parse(buffer.AsSpan(0, length));
            }
            catch (SpallocStateFileException)
            {
                // The expected outcome; anything else fails the test.
            }
        }
    }

    [Fact]
    public void Damaged_copies_of_a_real_file_load_or_are_a_clear_error()
    {
        WriteSample();
        var whole = File.ReadAllBytes(StatePath);
        var random = new Random(6);
        var loaded = 0;
        for (var i = 0; i < 300; i++)
        {
            var damaged = (byte[])whole.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                damaged[random.Next(damaged.Length)] = (byte)random.Next(32, 127);
            }

            File.WriteAllBytes(StatePath, damaged);
            try
            {
                Board(new ManualTime()).Restore();
                loaded++;
            }
            catch (SpallocStateFileException ex)
            {
                Assert.StartsWith($"job state file {StatePath}: ", ex.Message, StringComparison.Ordinal);
            }
        }

        Assert.True(loaded < 300, "every damaged copy loaded: the damage missed the file");
    }

    [Fact]
    public void Saving_leaves_no_temporary_file_and_a_failed_save_removes_it_and_keeps_the_old_file()
    {
        var board = Fresh(new ManualTime());
        Create(board, "alice", new BoardRequest.AnyOne());
        var store = new JobStateFile(StatePath);
        Assert.False(File.Exists(store.TemporaryPath));
        var saved = File.ReadAllText(StatePath);

        // The rename cannot replace a directory: the save fails, the temporary file goes, the directory stays.
        var blocked = new JobStateFile(Path.Combine(_directory, "blocked"));
        Directory.CreateDirectory(blocked.Path);
        var document = store.Load()!;
        var ex = Assert.Throws<SpallocStateFileException>(() => blocked.Save(document));
        Assert.StartsWith($"job state file {blocked.Path}: cannot write it: ", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(blocked.TemporaryPath));
        Assert.Equal(saved, File.ReadAllText(StatePath));
        Assert.Equal(new[] { StatePath, blocked.Path }.Order(StringComparer.Ordinal), Directory.GetFileSystemEntries(_directory).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_directory_is_flushed_after_the_rename_on_linux()
    {
        Assert.Equal(OperatingSystem.IsLinux(), DirectorySync.TryFlush(_directory));
        Assert.False(DirectorySync.TryFlush(Path.Combine(_directory, "missing")));
    }

    [Fact]
    public void A_file_that_cannot_be_written_at_start_is_a_clear_error()
    {
        var nowhere = Path.Combine(_directory, "missing-directory", "jobs.json");
        var board = new JobBoard(Machine, new ManualTime(), 8, new JobStateFile(nowhere));
        var ex = Assert.Throws<SpallocStateFileException>(() => board.Restore());
        Assert.StartsWith($"job state file {nowhere}: cannot write it: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_claimed_file_cannot_be_claimed_again_until_released()
    {
        using var first = new JobStateFile(StatePath);
        first.Claim();
        first.Claim(); // idempotent

        using var second = new JobStateFile(StatePath);
        var ex = Assert.Throws<SpallocStateFileException>(second.Claim);
        Assert.StartsWith($"job state file {StatePath}: cannot lock {StatePath}.lock: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("another relay spalloc serve", ex.Message, StringComparison.Ordinal);

        first.Dispose();
        second.Claim();
    }

    [Fact]
    public async Task A_second_server_on_the_same_state_file_refuses_to_start_and_the_first_keeps_it()
    {
        await using var first = await SpallocTestServer.StartAsync(options: o => o with { StateFilePath = StatePath });

        await Assert.ThrowsAsync<SpallocStateFileException>(() => SpallocTestServer.StartAsync(options: o => o with { StateFilePath = StatePath }));

        await first.DisposeAsync();
        await using var next = await SpallocTestServer.StartAsync(options: o => o with { StateFilePath = StatePath });
    }

    [Fact]
    public async Task Restored_jobs_of_users_no_longer_configured_are_destroyed_at_start_and_the_others_kept()
    {
        (int, int, int)[] triads = [(0, 0, 0), (0, 0, 1)];
        var first = await SpallocTestServer.StartAsync(triads, o => o with { StateFilePath = StatePath });
        Job kept, orphan;
        try
        {
            kept = Create(first.Server.Jobs, "alice", new BoardRequest.AnyOne());
            orphan = Create(first.Server.Jobs, "dave", new BoardRequest.AnyOne());   // dave is not among the test server's users
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var second = await SpallocTestServer.StartAsync(triads, o => o with { StateFilePath = StatePath });
        var jobs = second.Server.Jobs.List("x", admin: true, includeDestroyed: true).ToDictionary(j => j.Id);
        Assert.Equal(JobState.Ready, jobs[kept.Id].State);
        Assert.Equal((JobState.Destroyed, "user removed from the configuration"), (jobs[orphan.Id].State, jobs[orphan.Id].Reason));
        Assert.NotNull(second.Server.Jobs.Create("bob", new BoardRequest.AnyOne(), Keepalive, null, out _, out _)); // its board is free again
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A board on the state file, not yet restored.</summary>
    private JobBoard Board(ManualTime time) => new(Machine, time, 8, new JobStateFile(StatePath));

    /// <summary>A board on a new state file (the first start).</summary>
    private JobBoard Fresh(ManualTime time)
    {
        Assert.False(File.Exists(StatePath));
        var board = Board(time);
        board.Restore();
        return board;
    }

    private void WriteSample()
    {
        var time = new ManualTime();
        var board = Fresh(time);
        var job = Create(board, "alice", new BoardRequest.Rectangle(1, 1, null, null, 0));
        Create(board, "bob", new BoardRequest.Specific(3));
        Create(board, "carol", new BoardRequest.AnyOne());
        board.Destroy(job, "sample");
    }

    private static Job Create(JobBoard board, string owner, BoardRequest request) =>
        board.Create(owner, request, Keepalive, null, out var problem, out _) ?? throw new InvalidOperationException(problem);

    private static string Describe(Job.Snapshot s) =>
        $"{s.Id} {s.Owner} {s.State} {s.Created:O} {s.LastKeepalive:O} {s.KeepaliveHost} {s.Finished:O} {s.Reason} " +
        (s.Allocation is { } a ? $"[{string.Join(",", a.BoardIndices)}] {a.RootChipX},{a.RootChipY} {a.WidthChips}x{a.HeightChips}x{a.Depth}" : "-");
}
