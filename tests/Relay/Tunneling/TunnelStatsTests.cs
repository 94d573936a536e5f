using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

public class TunnelStatsTests
{
    [Fact]
    public void The_counters_line_names_every_figure_and_the_LZ4_saving()
    {
        var counters = new TunnelSessionCounters
        {
            ReliableFramesQueued = 11, ReliableFramesRetransmitted = 2, LatestDatagramsQueued = 5000, LatestDatagramsDropped = 7,
            LatestBytesDropped = 168, ReliableFramesReceived = 13, DuplicatesDropped = 1, LatestDatagramsReceived = 4000,
            BytesReceived = 123456, BatchesSent = 40, BatchesCompressed = 30, BatchRawBytes = 1000, BatchWireBytes = 553,
            DatagramsForClosedChannels = 3, HandlerFaults = 0, Connections = 2, PingsSent = 9, PongsReceived = 8,
        };

        var line = TunnelStats.Describe(counters);

        foreach (var expected in new[]
        {
            "sent reliable 11 (resent 2), live 5000 (dropped 7, 168 B)", "received reliable 13 (duplicates 1), live 4000, 123456 B",
            "batches 40 (compressed 30, LZ4 saved 44.7 %)", "for closed channels 3", "handler faults 0", "connections 2, pings 9, pongs 8",
        })
        {
            Assert.Contains(expected, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_session_that_sent_no_batch_saves_nothing_rather_than_dividing_by_zero() =>
        Assert.Contains("batches 0 (compressed 0, LZ4 saved 0.0 %)", TunnelStats.Describe(new TunnelSessionCounters()), StringComparison.Ordinal);

    [Fact]
    public async Task A_client_session_that_never_connected_says_so_rather_than_disconnected_for_no_reason()
    {
        var client = new TunnelClient(new TunnelClientOptions { Key = TunnelKey.Generate() }, new NeverConnector());
        await using (client)
        {
            Assert.Contains("(never connected, 0 channels", TunnelStats.Describe(client.Session), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("serve", "board")]
    [InlineData("connect", "gateway")]
    public void Stats_interval_takes_a_duration_and_refuses_what_is_not_one(string verb, string target)
    {
        var command = verb == "serve" ? TunnelWireCommands.CreateServe() : TunnelWireCommands.CreateConnect();

        Assert.Empty(command.Parse([target, "-k", "k", "--stats-interval", "30s"]).Errors);
        Assert.Empty(command.Parse([target, "-k", "k", "--stats-interval", "0"]).Errors);
        foreach (var bad in new[] { "soon", "-5s", "2d" })
        {
            var errors = command.Parse([target, "-k", "k", "--stats-interval", bad]).Errors;
            Assert.Contains(errors, e => e.Message.Contains("--stats-interval", StringComparison.Ordinal));
        }
    }

    private sealed class NeverConnector : FastSpinnRelay.Tunnel.Transport.ITunnelConnector
    {
        public ValueTask<FastSpinnRelay.Tunnel.Transport.ITunnelConnection> ConnectAsync(CancellationToken cancellationToken) =>
            ValueTask.FromException<FastSpinnRelay.Tunnel.Transport.ITunnelConnection>(new IOException("not in this test"));
    }
}
