using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Spalloc.Client;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Spalloc.Client;

/// <summary>
/// Issue 6's "reconnect after the server restarts", literally: `spalloc serve` with a state file is stopped completely and
/// started again on the same port; `connect` logs in again, reopens its channels, and the same local port carries SCP.
/// </summary>
public sealed class SpallocRestartTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("spalloc-restart-").FullName;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public Task After_a_restart_with_a_state_file_the_same_local_port_carries_scp_and_the_job_is_kept_alive(bool bearer) => FreedPort.RetryAsync(async () =>
    {
        var state = Path.Combine(_directory, $"jobs-{Guid.NewGuid():N}.json"); // a rerun starts from no file
        using var emulator = new BoardEmulator(Loopback.Board());
        var first = await SpallocTestServer.StartAsync(options: o => o with { StateFilePath = state });
        SpallocTestServer? second = null;
        var credentials = bearer
            ? new SpallocCredentials(null, null, SpallocTestServer.AliceToken)
            : new SpallocCredentials("alice", SpallocTestServer.AliceToken, null);
        using var client = new SpallocClient(first.BaseUri, credentials, new SpallocClientOptions { RequestTimeout = Loopback.Limit });
        try
        {
            var job = await client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 });
            var options = new SpallocConnectOptions
            {
                BoardScpPort = emulator.ScpEndPoint.Port,
                BoardBootPort = emulator.BootEndPoint.Port,
                ReconnectDelay = TimeSpan.FromMilliseconds(50),
                KeepaliveInterval = TimeSpan.FromMilliseconds(20),
                Proxy = new SpallocProxyOptions { CallTimeout = Loopback.Limit },
            };
            await using var connection = await SpallocConnection.StartAsync(client, job, options, Loopback.Limit, null, CancellationToken.None);
            var scpPort = connection.Boards[0].Scp;
            using var scp = new ScpClient(scpPort);
            Assert.False(scp.Version().IsBooted);
            var csrf = client.CsrfToken;

            // Stop the service completely (it forgets every login session), then start a new one on the same port and file.
            var stopping = first;
            first = null;
            second = await stopping.RestartAsync(o => o with { StateFilePath = state });
            Assert.True(Loopback.WaitUntil(() => connection.Reconnects == 1), "no reconnection to the restarted server");
            Assert.False(connection.Ended.IsCompleted, "the connection ended instead of reconnecting");
            Assert.NotEqual(csrf, client.CsrfToken);   // logged in again: the old session died with the old server

            // The same local port (and the same local application) reaches the board again.
            Assert.Equal(scpPort, connection.Boards[0].Scp);
            Assert.False(scp.Version().IsBooted);

            // The job's keepalive goes on against the new server: 100 s pass on its clock (interval 120 s), a keepalive follows.
            second.Time.Advance(TimeSpan.FromSeconds(100));
            var now = second.Time.GetUtcNow();
            Assert.True(await EventuallyAsync(async () => (await client.GetJobAsync(job)).KeepaliveTime >= now), "no keepalive reached the restarted server");
            second.Server.RunHousekeeping();
            Assert.True((await client.GetJobAsync(job)).IsReady);
        }
        finally
        {
            if (first is not null)
            {
                await first.DisposeAsync();
            }

            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    });

    [Fact]
    public Task A_job_whose_keepalive_lapsed_while_the_server_was_down_ends_the_connection_with_that_reason() => FreedPort.RetryAsync(async () =>
    {
        var state = Path.Combine(_directory, $"jobs-{Guid.NewGuid():N}.json");
        using var emulator = new BoardEmulator(Loopback.Board());
        var time = new ManualTime();
        var first = await SpallocTestServer.StartAsync(options: o => o with { StateFilePath = state }, time: time);
        SpallocTestServer? second = null;
        using var client = new SpallocClient(first.BaseUri, new SpallocCredentials(null, null, SpallocTestServer.AliceToken), new SpallocClientOptions { RequestTimeout = Loopback.Limit });
        try
        {
            var job = await client.CreateJobAsync(new SpallocJobRequest { NumBoards = 1 });
            var options = new SpallocConnectOptions { BoardScpPort = emulator.ScpEndPoint.Port, ReconnectDelay = TimeSpan.FromMilliseconds(50), KeepaliveInterval = TimeSpan.FromHours(1) };
            await using var connection = await SpallocConnection.StartAsync(client, job, options, Loopback.Limit, null, CancellationToken.None);

            var stopping = first;
            first = null;
            second = await stopping.RestartAsync(
                o => o with { StateFilePath = state }, time, whileDown: () => time.Advance(TimeSpan.FromMinutes(5))); // longer than the 120 s keepalive interval
            var reason = await connection.Ended.WaitAsync(Loopback.Limit);
            Assert.Contains("the job was destroyed: keepalive expired", reason, StringComparison.Ordinal);
        }
        finally
        {
            if (first is not null)
            {
                await first.DisposeAsync();
            }

            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    });

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var poll = 0; poll < 500; poll++)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return false;
    }
}
