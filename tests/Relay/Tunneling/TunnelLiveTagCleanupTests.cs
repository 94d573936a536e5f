using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Host;
using FastSpinnRelay.Relay.Tunneling;
using FastSpinnRelay.Relay.Tests.Classic;
using FastSpinnRelay.Relay.Tests.TestSupport;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;
using Chain = FastSpinnRelay.Relay.Tests.Tunneling.TunnelWireTests.Chain;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>
/// <c>relay tunnel serve</c> clears the IP tag of a live-output flow on the board when it lets the flow go (its channel
/// closed, its session ended, the server stopping), so the board stops sending to a closed port; but not a tag someone
/// else has pointed elsewhere since, and a board that does not answer costs a bounded wait and a counted failure.
/// </summary>
public class TunnelLiveTagCleanupTests
{
    private const int Tag = 3;

    [Fact]
    public async Task Closing_the_live_output_channel_clears_its_ip_tag_on_the_board()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board);
        await using var client = await ConnectAsync(chain);
        TunnelChannel live = OpenLiveOutput(chain, client);
        Assert.NotNull(board.Tags.Get(Tag));

        live.Close();

        Assert.True(Loopback.WaitUntil(() => board.Tags.Get(Tag) is null), "the tag still points at the closed socket");
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputTagsCleared == 1), $"{chain.Gateway.LiveOutputTagsCleared} cleared");
        Assert.Equal(0, chain.Gateway.LiveOutputTagClearFailures);
        Assert.Equal(0, chain.Gateway.OpenChannels);
    }

    [Fact]
    public async Task A_client_that_stops_has_the_tags_of_its_session_cleared()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var visualiser = new RawUdp();
        await using var chain = await Chain.StartAsync(board, liveOutput: new LiveOutputRoute(Tag, [visualiser.LocalEndPoint]));
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputSockets == 1), "the tag was not set");

        LogCapture.Install();
        var session = chain.Portal.Client.Session.IdText[..8];

        await chain.Portal.DisposeAsync(); // ERROR Shutdown: the server ends the session and releases its flows

        Assert.True(Loopback.WaitUntil(() => board.Tags.Get(Tag) is null), "the tag still points at the released socket");
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputTagsCleared == 1), $"{chain.Gateway.LiveOutputTagsCleared} cleared");
        Assert.True(LogCapture.WaitFor("closed ", $"of session {session}: its session ended"));
        Assert.Empty(LogCapture.Lines($"of session {session}: closed by the client"));
    }

    [Fact]
    public async Task A_server_that_stops_clears_the_tags_of_its_live_flows_before_it_returns()
    {
        using var board = new BoardEmulator(Loopback.Board());
        using var visualiser = new RawUdp();
        await using var chain = await Chain.StartAsync(board, liveOutput: new LiveOutputRoute(Tag, [visualiser.LocalEndPoint]));
        await using var other = chain.ConnectAnother(liveOutput: new LiveOutputRoute(Tag + 1, [visualiser.LocalEndPoint]));
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputSockets == 2), "the tags were not set");

        LogCapture.Install();
        var session = chain.Portal.Client.Session.IdText[..8];

        await chain.Gateway.DisposeAsync(); // as on SIGTERM: the client is still connected

        Assert.Null(board.Tags.Get(Tag));
        Assert.Null(board.Tags.Get(Tag + 1));
        Assert.Equal(2, chain.Gateway.LiveOutputTagsCleared);
        Assert.True(LogCapture.WaitFor("closed ", $"of session {session}: server shutting down"));
        Assert.Empty(LogCapture.Lines($"of session {session}: closed by the client"));
    }

    [Fact]
    public async Task A_tag_someone_else_has_pointed_elsewhere_is_left_alone()
    {
        using var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board);
        await using var client = await ConnectAsync(chain);
        TunnelChannel live = OpenLiveOutput(chain, client);

        // Another tool (spinnman, ybug) on this host points the tag at its own socket, behind the server's back.
        using var other = new ScpClient(board.ScpEndPoint);
        other.SetIpTag(Tag, host: null, port: 0, strip: true, useSender: true);
        Assert.Equal(other.LocalEndPoint, board.Tags.Get(Tag)!.Destination);

        live.Close();
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.OpenChannels == 0), "the channel was not released");
        await chain.Gateway.DisposeAsync(); // waits for the clear under way

        Assert.Equal(other.LocalEndPoint, board.Tags.Get(Tag)!.Destination);
        Assert.Equal(1, chain.Gateway.LiveOutputTagsLeftAlone);
        Assert.Equal(0, chain.Gateway.LiveOutputTagsCleared);
        Assert.Equal(0, chain.Gateway.LiveOutputTagClearFailures);
    }

    [Fact]
    public async Task A_board_that_does_not_answer_the_clear_is_counted_and_does_not_hold_up_the_stop()
    {
        var board = new BoardEmulator(Loopback.Board());
        await using var chain = await Chain.StartAsync(board);
        await using var client = await ConnectAsync(chain);
        OpenLiveOutput(chain, client);

        board.Dispose(); // the board goes silent
        await chain.Gateway.DisposeAsync().AsTask().WaitAsync(Loopback.Limit); // a bounded wait, never longer than the watchdog

        Assert.Equal(1, chain.Gateway.LiveOutputTagClearFailures);
        Assert.Equal(0, chain.Gateway.LiveOutputTagsCleared);
    }

    /// <summary>A bare tunnel client of the chain's server (its channels opened and closed by the test).</summary>
    internal static async Task<TunnelClient> ConnectAsync(Chain chain)
    {
        var client = new TunnelClient(
            new TunnelClientOptions { Key = chain.ServeOptions.Tunnel.Key },
            new TcpTunnelConnector("127.0.0.1", chain.Gateway.ListenEndPoint.Port, null));
        client.Start();
        await client.WhenConnectedAsync().WaitAsync(Loopback.Limit);
        return client;
    }

    /// <summary>
    /// Opens a live-output channel of IP tag <see cref="Tag"/> (its traffic and close to <paramref name="handler"/>, else
    /// dropped) and waits for the server to have set the tag towards its socket.
    /// </summary>
    internal static TunnelChannel OpenLiveOutput(Chain chain, TunnelClient client, ITunnelChannelHandler? handler = null)
    {
        TunnelChannel live = client.Session.OpenChannel(TunnelChannelKind.EieioOutput, new TunnelTarget(null, Tag), handler ?? new Ignore());
        Assert.True(Loopback.WaitUntil(() => chain.Gateway.LiveOutputSockets == 1), "the tag was not set");
        return live;
    }

    /// <summary>Drops whatever the channel brings; keeps the code it was closed with.</summary>
    internal sealed class Ignore : ITunnelChannelHandler
    {
        private int _closedWith = -1;

        /// <summary>The code the channel was closed with, or null while it is open.</summary>
        public TunnelErrorCode? ClosedWith => Volatile.Read(ref _closedWith) is var code and >= 0 ? (TunnelErrorCode)code : null;

        public void OnDatagram(TunnelChannel channel, ReadOnlySpan<byte> datagram, uint gapMicroseconds)
        {
        }

        public void OnClosed(TunnelChannel channel, TunnelErrorCode code) => Volatile.Write(ref _closedWith, (int)code);
    }
}
