using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tests.TestSupport;
using static FastSpinnRelay.Relay.Tests.Classic.ClassicTestSupport;

namespace FastSpinnRelay.Relay.Tests.Classic;

/// <summary>
/// Host tools (ScpClient, BootSender) → relay client → relay server → emulated board, in every mode (UDP; -t; -T;
/// -t -T): boot, SCP VER/READ/WRITE, clients interleaving, and a lossy board.
/// </summary>
public class ClassicEmulatorTests
{
    public static TheoryData<bool, bool> AllModes => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_boot_through_client_and_server_arrives_byte_identical_and_the_board_reports_booted(bool scpViaTcp, bool bootViaTcp)
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board, scpViaTcp, bootViaTcp);
        using var sender = new BootSender(chain.Client.Boot.ListenEndPoint) { Gap = TimeSpan.FromMilliseconds(2) };
        using var scp = new ScpClient(chain.Client.Scp.ListenEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        var image = BootSender.CreateSyntheticImage(seed: 42);
        Assert.False(scp.Version().IsBooted);

        var packets = await sender.SendAsync(image);

        Assert.True(WaitUntil(() => board.Counters.BootsCompleted == 1));
        Assert.Equal(packets, board.Counters.BootPackets);
        Assert.Equal(0, board.Counters.BootProblems);
        Assert.Equal(image, board.CopyBootImage());
        Assert.True(scp.Version().IsBooted);
        Assert.True(WaitUntil(() => chain.Server.Boot.GetCounters().PacketsUp == packets));
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task SCP_version_write_and_read_pass_through_the_chain(bool scpViaTcp, bool bootViaTcp)
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board, scpViaTcp, bootViaTcp);
        using var scp = new ScpClient(chain.Client.Scp.ListenEndPoint) { Timeout = TimeSpan.FromSeconds(2) };
        var data = new byte[1000];
        new Random(3).NextBytes(data);
        var back = new byte[data.Length];

        var version = scp.Version();
        scp.Write(0x6000_0000, data);
        scp.Read(0x6000_0000, back);

        Assert.Equal(("SC&MP/SpiNNaker", "4.0.0"), (version.Name, version.Version));
        Assert.Equal(data, back);
        Assert.Equal(0, scp.Retransmissions);
        // VER, 4 WRITEs and 4 READs of at most 256 bytes; each counter is added just after its send.
        Assert.True(WaitUntil(() => chain.Server.Scp.GetCounters() is { PacketsUp: 9, PacketsDown: 9 }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Two_clients_interleaving_SCP_through_one_server_each_get_only_their_own_replies(bool scpViaTcp)
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var server = await StartAsync(BoardServer(board) with { ScpViaTcp = scpViaTcp });
        await using var clientA = await StartAsync(ClientOptions(server));
        await using var clientB = await StartAsync(ClientOptions(server));

        // Both ScpClients count sequence numbers from 0 in step, so a reply delivered to the wrong one would be
        // accepted and its READ data would be the other's.
        var a = Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(clientA.Scp.ListenEndPoint, 0x6000_0000, seed: 1));
        var b = Task.Run(() => ScpTraffic.ReadOwnDataRepeatedly(clientB.Scp.ListenEndPoint, 0x7000_0000, seed: 2));

        Assert.Equal(0, await a.WaitAsync(Deadline));
        Assert.Equal(0, await b.WaitAsync(Deadline));
        Assert.Equal(2, server.Scp.GetCounters().FlowsOpened);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_board_that_drops_one_request_in_seven_is_recovered_by_client_retries_through_the_chain(bool scpViaTcp)
    {
        using var board = new BoardEmulator(Loopback.Board() with { DropOneInN = 7 });
        await using var chain = await Chain.StartAsync(board, scpViaTcp, bootViaTcp: false);
        // Each dropped request costs one timeout; 500 ms (not 200) so that a loaded 2-core machine, where a reply can
        // take longer than 200 ms five times in a row, does not make a request that was answered look lost.
        using var scp = new ScpClient(chain.Client.Scp.ListenEndPoint) { Timeout = TimeSpan.FromMilliseconds(500) };
        var data = new byte[256];
        new Random(9).NextBytes(data);
        var back = new byte[data.Length];

        for (var i = 0; i < 30; i++)
        {
            Assert.Equal("SC&MP/SpiNNaker", scp.Version().Name);
            scp.Write(0x6000_0000 + (uint)(i * 256), data);
            scp.Read(0x6000_0000 + (uint)(i * 256), back);
            Assert.Equal(data, back);
        }

        Assert.True(board.Counters.Dropped(ScpDropReason.FaultInjection) >= 90 / 7);
        Assert.True(scp.Retransmissions >= board.Counters.Dropped(ScpDropReason.FaultInjection));
    }

    /// <summary>A relay server in front of the board and a relay client in front of the server, both on loopback.</summary>
    private sealed class Chain : IAsyncDisposable
    {
        private Chain(ClassicProxyHost server, ClassicProxyHost client)
        {
            Server = server;
            Client = client;
        }

        public ClassicProxyHost Server { get; }

        public ClassicProxyHost Client { get; }

        public static async Task<Chain> StartAsync(BoardEmulator board, bool scpViaTcp, bool bootViaTcp)
        {
            var server = await ClassicTestSupport.StartAsync(BoardServer(board) with { ScpViaTcp = scpViaTcp, BootViaTcp = bootViaTcp });
            try
            {
                return new Chain(server, await ClassicTestSupport.StartAsync(ClientOptions(server)));
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
        }
    }
}
