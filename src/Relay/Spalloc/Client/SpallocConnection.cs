using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;
using FastSpinnRelay.Relay.Spalloc.Client.Internal;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Spalloc.Client;

/// <summary>A board of a connected job and the local UDP port that stands for its SCP port.</summary>
public sealed record SpallocBoardPort(int X, int Y, string Address, IPEndPoint Scp);

/// <summary>
/// <c>relay spalloc connect</c>: a READY job's boards as local UDP ports through the job's proxy websocket. One local
/// port per board for SCP, one for the root board's boot port, live output fanned out to visualisers through an
/// unbound channel (optionally with the IP tag set here), live input forwarded with MSG_TO. Each local application
/// gets its own channel, so its replies reach it alone. Local sockets run on one <see cref="UdpEventLoop"/>; the
/// websocket reconnects with backoff when it drops and every channel is reopened. The job is kept alive meanwhile.
/// </summary>
public sealed partial class SpallocConnection : IAsyncDisposable, ISpallocProxyHandler
{
    private const string Component = "spalloc-connect";

    private readonly SpallocClient _client;
    private readonly SpallocConnectOptions _options;
    private readonly UdpEventLoop _loop = new(new UdpEventLoopOptions { Name = "spalloc-connect" });
    private readonly List<BoardPort> _ports = [];
    private readonly List<(UdpSocket Socket, SpallocLiveInput Input)> _inputs = [];
    private readonly ConcurrentDictionary<uint, Flow> _byChannel = new();
    private readonly UdpAddress[] _visualisers;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Local sends gathered by the websocket's receive thread (one websocket at a time receives).</summary>
    private readonly GatheredSends _sends = new();

    /// <summary>
    /// Live output for the second visualiser on, one gatherer each (the first shares <see cref="_sends"/>): a gatherer
    /// packs runs for one destination into GSO groups, and with the visualisers alternating in one, every datagram
    /// would leave as a message of its own. Slots pinned on first use, as <see cref="_sends"/>'s.
    /// </summary>
    private readonly GatheredSends[] _moreVisualisers;
    private UdpSocket? _liveOut;
    private UdpSocket? _tagSocket;
    private volatile SpallocProxyClient? _proxy;
    private volatile uint _unbound;
    private volatile bool _tagging;
    private readonly List<Flow> _flows = [];
    private UdpAddress _tagClient;
    private (int X, int Y) _tagTarget;
    private volatile bool _reconnecting;
    private Task _supervisor = Task.CompletedTask;
    private Task _keepalive = Task.CompletedTask;
    private long _dropped;
    private long _liveDatagrams;
    private int _reconnects;

    private SpallocConnection(SpallocClient client, Uri job, SpallocConnectOptions options)
    {
        _client = client;
        Job = job;
        _options = options;
        _visualisers = options.LiveOutputs.Map(UdpAddress.FromIPEndPoint);
        _moreVisualisers = new GatheredSends[Math.Max(0, _visualisers.Length - 1)];
        for (var i = 0; i < _moreVisualisers.Length; i++)
        {
            _moreVisualisers[i] = new GatheredSends();
        }
    }

    /// <summary>The job's URL.</summary>
    public Uri Job { get; }

    /// <summary>Every board of the job with its local SCP port.</summary>
    public IReadOnlyList<SpallocBoardPort> Boards { get; private set; } = [];

    /// <summary>The local port standing for the root board's boot port.</summary>
    public IPEndPoint BootEndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>The local ports of live input, with where they go.</summary>
    public IReadOnlyList<(IPEndPoint Local, SpallocLiveInput Input)> LiveInputs => _inputs.Map(i => (i.Socket.LocalEndPoint, i.Input));

    /// <summary>Times the websocket was reconnected.</summary>
    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>Live-output datagrams received (each goes to every visualiser).</summary>
    public long LiveDatagrams => Interlocked.Read(ref _liveDatagrams);

    /// <summary>Local datagrams dropped (send queue full, too many held while a channel opened, or no live channel).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Completes with a one-line reason when the connection ends for good (job destroyed, reconnection given up).</summary>
    public Task<string> Ended => _ended.Task;

    /// <summary>Waits for the job to be READY, binds the local ports, connects the websocket and opens the live channel.</summary>
    public static async Task<SpallocConnection> StartAsync(SpallocClient client, Uri job, SpallocConnectOptions options, TimeSpan waitTimeout, TextWriter? progress, CancellationToken cancellationToken)
    {
        var info = await client.WaitUntilReadyAsync(job, waitTimeout, progress, cancellationToken).ConfigureAwait(false);
        var boards = await client.GetBoardsAsync(job, cancellationToken).ConfigureAwait(false);
        if (boards.Count == 0)
        {
            throw new SpallocClientException(SpallocFailure.Service, $"{job}: READY but the service lists no boards");
        }

        var connection = new SpallocConnection(client, job, options);
        try
        {
            connection.Bind(boards);
            await connection.ConnectAsync(info.ProxyRef, cancellationToken).ConfigureAwait(false);
            connection._supervisor = Task.Run(connection.SuperviseAsync, CancellationToken.None);
            connection._keepalive = client.RunKeepaliveAsync(
                job, options.KeepaliveInterval, ex => Log.Warn(Component, "keepalive failed: " + ex.Message), connection._stop.Token);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The table of local ports, one line each (what the CLI prints).</summary>
    public string DescribePorts()
    {
        var text = new StringBuilder();
        foreach (var board in Boards)
        {
            text.Append(CultureInfo.InvariantCulture, $"board {board.X},{board.Y} ({board.Address}) SCP -> {board.Scp}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"boot {Boards[0].X},{Boards[0].Y} -> {BootEndPoint}\n");
        if (_visualisers.Length > 0)
        {
            text.Append($"live output -> {string.Join(", ", _visualisers)}");
            text.Append(_options.LiveTag is { } tag ? $" (IP tag {tag} set on every board)\n" : " (set an IP tag to the channel yourself)\n");
        }

        foreach (var (local, input) in LiveInputs)
        {
            text.Append(CultureInfo.InvariantCulture, $"live input {local} -> board {input.X},{input.Y} port {input.BoardPort}\n");
        }

        return text.ToString();
    }

    /// <summary>The local ports as JSON (the <c>--ports-file</c>), for tools to read.</summary>
    public string PortsJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("job", Job.ToString());
            json.WriteStartArray("boards");
            foreach (var board in Boards)
            {
                json.WriteStartObject();
                json.WriteNumber("x", board.X);
                json.WriteNumber("y", board.Y);
                json.WriteString("address", board.Address);
                json.WriteString("scp", board.Scp.ToString());
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("boot", BootEndPoint.ToString());
            json.WriteStartArray("live-output");
            foreach (var visualiser in _visualisers)
            {
                json.WriteStringValue(visualiser.ToString());
            }

            json.WriteEndArray();
            json.WriteStartArray("live-input");
            foreach (var (local, input) in LiveInputs)
            {
                json.WriteStartObject();
                json.WriteString("local", local.ToString());
                json.WriteNumber("x", input.X);
                json.WriteNumber("y", input.Y);
                json.WriteNumber("port", input.BoardPort);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Stops everything: keepalives, the websocket, the local sockets. The job itself is left alone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        _ended.TrySetResult("stopped");
        if (_proxy is { } proxy)
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(_supervisor, _keepalive).ConfigureAwait(false);
        if (_proxy is { } last)
        {
            await last.DisposeAsync().ConfigureAwait(false); // one a reconnection made while this was stopping (idempotent)
        }

        _loop.Dispose();
        foreach (var port in _ports)
        {
            port.Socket.Dispose();
        }

        foreach (var (socket, _) in _inputs)
        {
            socket.Dispose();
        }

        _liveOut?.Dispose();
        _tagSocket?.Dispose();
        _stop.Dispose();
    }

    /// <inheritdoc/>
    /// <remarks>Gathers the local sends (<see cref="GatheredSends"/>); <see cref="ISpallocProxyHandler.OnReceiveIdle"/> sends them.</remarks>
    void ISpallocProxyHandler.OnMessage(uint channel, ReadOnlySpan<byte> payload)
    {
        if (channel == _unbound && channel != 0)
        {
            if (_tagging)
            {
                _sends.Add(_tagSocket!, payload, _tagClient);
                return;
            }

            Interlocked.Increment(ref _liveDatagrams);
            var visualisers = _visualisers.AsSpan();
            if (visualisers.Length > 0)
            {
                _sends.Add(_liveOut!, payload, visualisers[0]);
                for (var i = 1; i < visualisers.Length; i++)
                {
                    _moreVisualisers[i - 1].Add(_liveOut!, payload, visualisers[i]);
                }
            }

            return;
        }

        if (_byChannel.TryGetValue(channel, out var flow))
        {
            _sends.Add(flow.Port.Socket, payload, flow.Application);
        }
    }

    /// <inheritdoc/>
    void ISpallocProxyHandler.OnReceiveIdle()
    {
        _sends.Flush();
        foreach (var more in _moreVisualisers)
        {
            more.Flush();
        }
    }

    private void Bind(IReadOnlyList<SpallocBoardConnection> boards)
    {
        var root = boards.FirstOrDefault(b => b is { X: 0, Y: 0 }) ?? boards[0];
        var list = new List<SpallocBoardPort>();
        foreach (var board in boards.OrderBy(b => b != root).ThenBy(b => b.Y).ThenBy(b => b.X))
        {
            var port = AddPort("SCP", board.X, board.Y, _options.BoardScpPort);
            list.Add(new SpallocBoardPort(board.X, board.Y, board.Address, port.Socket.LocalEndPoint));
        }

        Boards = list;
        BootEndPoint = AddPort("boot", root.X, root.Y, _options.BoardBootPort).Socket.LocalEndPoint;
        _loop.AddTickHandler(new FlowExpiry(this));
        if (_visualisers.Length > 0 || _options.LiveInputs.Count > 0)
        {
            // Sends only (it is not registered on the loop): from loopback when every visualiser is local, else from any address.
            var local = _visualisers.All(v => v.ToIPAddress().Equals(IPAddress.Loopback));
            _liveOut = new UdpSocket(new IPEndPoint(local ? IPAddress.Loopback : IPAddress.Any, 0));
        }

        if (_options.LiveTag is not null)
        {
            _tagSocket = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0));
            _loop.Register(_tagSocket, new TagReceiver(this));
        }

        foreach (var input in _options.LiveInputs)
        {
            var socket = Open(new IPEndPoint(_options.Bind, input.LocalPort));
            _inputs.Add((socket, input));
            _loop.Register(socket, new LiveInputReceiver(this, input));
        }
    }

    private BoardPort AddPort(string kind, int x, int y, int remote)
    {
        var port = new BoardPort(kind, x, y, remote, Open(new IPEndPoint(_options.Bind, 0)));
        _ports.Add(port);
        _loop.Register(port.Socket, new BoardPortReceiver(this, port));
        return port;
    }

    private static UdpSocket Open(IPEndPoint endPoint)
    {
        try
        {
            return new UdpSocket(endPoint);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new SpallocClientException(SpallocFailure.Network, $"cannot bind local UDP {endPoint}: {ex.Message}", ex);
        }
    }
}
