using System.Net;
using FastSpinnRelay.Relay.Classic.Internal;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Tunneling.Internal;
using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Tunneling;

/// <summary>
/// <c>relay tunnel serve</c>: the tunnel server next to a board. Accepts clients that prove the key; each SCP or boot
/// channel a client opens gets its own UDP socket to the board (so every application's replies come back to it
/// alone); boot packets leave re-paced by the gap they had at the client.
/// </summary>
/// <remarks>Threading: start and dispose from any thread, once. Board-side sockets live on one UDP loop.</remarks>
public sealed class TunnelGateway : IAsyncDisposable
{
    private const string Component = "tunnel-serve";

    private readonly UdpEventLoop _loop;
    private readonly BoardChannelAcceptor _acceptor;
    private readonly TunnelServer _server;
    private readonly TcpTunnelListener _listener;
    private int _disposed;

    private TunnelGateway(UdpEventLoop loop, BoardChannelAcceptor acceptor, TunnelServer server, TcpTunnelListener listener)
    {
        _loop = loop;
        _acceptor = acceptor;
        _server = server;
        _listener = listener;
        ListenEndPoint = listener.LocalEndPoint;
    }

    /// <summary>Where clients connect (the bound port when 0 was asked for).</summary>
    public IPEndPoint ListenEndPoint { get; }

    /// <summary>The board's SCP endpoint now: where new SCP channels go (<see cref="MoveBoardAsync(IPAddress)"/> changes it).</summary>
    public IPEndPoint BoardScp => _acceptor.Board.Scp;

    /// <summary>The board's boot endpoint now.</summary>
    public IPEndPoint BoardBoot => _acceptor.Board.Boot;

    /// <summary>The tunnel server (sessions, counters).</summary>
    public TunnelServer Server => _server;

    /// <summary>SCP and boot channels accepted so far.</summary>
    public long ChannelsOpened => _acceptor.ChannelsOpened;

    /// <summary>Channels refused (not SCP or boot, or a target other than this board).</summary>
    public long ChannelsRefused => _acceptor.ChannelsRefused;

    /// <summary>Channels open now.</summary>
    public int OpenChannels => _acceptor.OpenFlows;

    /// <summary>Live-output channels closed because another OPEN (another session, or a restarted client) took their IP tag.</summary>
    public long LiveOutputTakeovers => _acceptor.TagsTakenOver;

    /// <summary>Live-output sockets receiving from the board (their IP tags set).</summary>
    public int LiveOutputSockets => _acceptor.LiveOutputSockets;

    /// <summary>Times live-output sockets stopped being read because the tunnel's latest queue overflowed (open flows).</summary>
    public long LiveOutputPauses => _acceptor.LiveOutputPauses;

    /// <summary>
    /// IP tags cleared on the board when their live-output channel closed, its session ended or the server stopped, and on
    /// the old board when the board moved and the tag was set on the new one.
    /// </summary>
    public long LiveOutputTagsCleared => _acceptor.TagsCleared;

    /// <summary>IP tags of closed (or moved) live-output channels not cleared because they pointed elsewhere by then (set again since).</summary>
    public long LiveOutputTagsLeftAlone => _acceptor.TagsLeftAlone;

    /// <summary>IP tags of closed (or moved) live-output channels that could not be read back or cleared (the board did not answer, or refused).</summary>
    public long LiveOutputTagClearFailures => _acceptor.TagClearFailures;

    /// <summary>IP tags of open live-output channels set again on the board at its new address when it moved (<see cref="MoveBoardAsync(IPAddress)"/>).</summary>
    public long LiveOutputTagsMoved => _acceptor.TagsMoved;

    /// <summary>Live-output channels closed when the board moved because the board at the new address did not answer, or refused, their IP tag.</summary>
    public long LiveOutputTagMoveFailures => _acceptor.TagMoveFailures;

    /// <summary>Boot packets sent to the board's boot port.</summary>
    public long BootPacketsSent => _acceptor.BootPacketsSent;

    /// <summary>Binds the listener and starts accepting.</summary>
    /// <exception cref="ArgumentException">Invalid tunnel options.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The listen address cannot be bound.</exception>
    public static TunnelGateway Start(TunnelServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tunnelOptions = options.Tunnel;
        tunnelOptions.ThrowIfInvalid();
        var loop = new UdpEventLoop(new UdpEventLoopOptions
        {
            Name = $"{Component}-udp",
            SlotSize = 4096,
            ErrorSink = new UdpErrorLog(Component),
        });
        var acceptor = new BoardChannelAcceptor(loop, options.BoardScp, options.BoardBoot, options.BootMinGap, Component);
        TcpTunnelListener listener;
        try
        {
            listener = new TcpTunnelListener(options.Listen, options.Tls) { Admit = options.Allow.AllowsAnyone ? null : options.Allow.Allows };
        }
        catch
        {
            loop.Dispose();
            throw;
        }

        var server = new TunnelServer(tunnelOptions, listener, acceptor);
        server.Start();
        if (Log.IsEnabled(LogLevel.Info))
        {
            Log.Info(Component, $"listening on {listener.LocalDescription} for tunnel clients ({options.Allow.Description}); " +
                $"SCP channels -> board {options.BoardScp}, boot channels -> board {options.BoardBoot}");
        }

        return new TunnelGateway(loop, acceptor, server, listener);
    }

    /// <summary>The TLS settings new connections get: the certificate and the client certificates (null: plain TCP).</summary>
    public TunnelTlsServerOptions? Tls => _listener.Tls;

    /// <summary>
    /// Puts new credentials in force (a reload): <paramref name="credentials"/> for every handshake from now on, which
    /// ends the sessions of clients they no longer let in (<see cref="TunnelServer.UpdateCredentialsAsync"/>), and, when
    /// the gateway serves TLS, <paramref name="tls"/> for the TLS handshakes of new connections.
    /// </summary>
    public async Task<TunnelRevokedSessions> ReloadAsync(TunnelServerCredentials credentials, TunnelTlsServerOptions? tls)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        // The server first: it decides who is let in, so a TLS handshake on the old list cannot let a revoked client back.
        TunnelRevokedSessions revoked = await _server.UpdateCredentialsAsync(credentials).ConfigureAwait(false);
        if (tls is not null)
        {
            _listener.UpdateTls(tls);
        }

        return revoked;
    }

    /// <summary>
    /// The board is at <paramref name="address"/> from now on (a reload found its name there; same ports): new channels
    /// go there, open SCP, boot and live-input channels are redirected where their sockets can reach it, and live-output
    /// channels have their IP tags set on the board at the new address (and cleared at the old one), or are closed when
    /// it does not take them (see <see cref="TunnelBoardMove"/>). Returns once every tag is set or given up on (a few
    /// seconds at most when the new board does not answer).
    /// </summary>
    public Task<TunnelBoardMove> MoveBoardAsync(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return MoveBoardAsync(new IPEndPoint(address, BoardScp.Port), new IPEndPoint(address, BoardBoot.Port));
    }

    /// <summary>As <see cref="MoveBoardAsync(IPAddress)"/>, to other ports too (tests: two emulated boards on loopback).</summary>
    internal Task<TunnelBoardMove> MoveBoardAsync(IPEndPoint scp, IPEndPoint boot) => _acceptor.MoveBoardAsync(new BoardEndPoints(scp, boot));

    /// <summary>Closes every session and board socket. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _server.DisposeAsync().ConfigureAwait(false);
        await _acceptor.DisposeAsync().ConfigureAwait(false);
        _loop.Dispose();
        var takeovers = LiveOutputTakeovers == 0 ? "" : $", {LiveOutputTakeovers} IP tags taken over by another channel";
        var moved = LiveOutputTagsMoved + LiveOutputTagMoveFailures == 0 ? ""
            : $", {LiveOutputTagsMoved} IP tags set on the board at its new address ({LiveOutputTagMoveFailures} could not be: their channels closed)";
        var cleared = LiveOutputTagsCleared + LiveOutputTagClearFailures == 0 ? ""
            : $", {LiveOutputTagsCleared} IP tags cleared when released or moved ({LiveOutputTagClearFailures} could not be)";
        Log.Info(Component, $"stopped: {_server.AcceptedConnections} client connections accepted, {_server.RejectedConnections} refused (session limit, key or client certificate, handshake); " +
            $"{ChannelsOpened} channels served, {ChannelsRefused} refused, {BootPacketsSent} boot packets sent{takeovers}{moved}{cleared}");
    }
}
