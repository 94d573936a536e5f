using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FastSpinnRelay.Tunnel.Legacy;

/// <summary>What a <see cref="LegacyStreamClient"/> reports, for logs and counters. Called on its task; must not block.</summary>
public interface ILegacyStreamClientObserver
{
    /// <param name="client">Who.</param>
    /// <param name="isReconnect">False for the first connection of this client.</param>
    void OnConnected(LegacyStreamClient client, bool isReconnect);

    /// <param name="client">Who.</param>
    /// <param name="close">Why the connection ended.</param>
    /// <param name="retryIn">Delay before the next attempt.</param>
    void OnDisconnected(LegacyStreamClient client, StreamClose close, TimeSpan retryIn);

    /// <param name="client">Who.</param>
    /// <param name="error">Why the attempt failed (e.g. ConnectionRefused, TimedOut).</param>
    /// <param name="retryIn">Delay before the next attempt.</param>
    void OnConnectFailed(LegacyStreamClient client, SocketError error, TimeSpan retryIn);
}

/// <summary>
/// The client end of a spinnaker_proxy TCP stream that comes back: it connects, runs a
/// <see cref="LegacyStreamConnection"/>, and when that ends (server restart, reset, anything) reconnects with
/// exponential back-off until <see cref="Close"/>. Datagrams queued meanwhile wait in its <see cref="Outbox"/>
/// (bounded; beyond it they are dropped and counted). The original connected once and died with the connection.
/// </summary>
/// <remarks>
/// <para>
/// It connects when the outbox holds something to send (a connection made beforehand is used at once): a
/// client whose application has gone quiet does not reconnect by itself. Against a Python server, which keeps
/// only its newest connection, an idle client reconnecting on its own would cut off the application in use.
/// </para>
/// <para>
/// Threading: <see cref="RunAsync"/> once (it returns when closed); <see cref="Close"/>,
/// <see cref="CloseIfStalled"/> and the properties from any thread. The back-off starts again from its minimum
/// after a connection that lasted at least a second.
/// </para>
/// </remarks>
public sealed class LegacyStreamClient
{
    private static readonly long StableTicks = Stopwatch.Frequency;

    private IPEndPoint _server;
    private readonly ILegacyFrameHandler _handler;
    private readonly LegacyStreamOptions _options;
    private readonly ILegacyStreamClientObserver? _observer;
    private readonly CancellationTokenSource _closing = new();
    private Socket? _initial;
    private LegacyStreamConnection? _current;
    private int _started;

    /// <param name="server">Where to connect.</param>
    /// <param name="outbox">Frames to send; kept across reconnects.</param>
    /// <param name="handler">Receives each datagram from the server.</param>
    /// <param name="options">Limits, timeouts and back-off.</param>
    /// <param name="observer">Told about connects, disconnects and failed attempts (optional).</param>
    /// <param name="connected">An already connected socket to use first (e.g. the connection made at start-up).</param>
    public LegacyStreamClient(
        IPEndPoint server,
        FrameOutbox outbox,
        ILegacyFrameHandler handler,
        LegacyStreamOptions? options = null,
        ILegacyStreamClientObserver? observer = null,
        Socket? connected = null)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(outbox);
        ArgumentNullException.ThrowIfNull(handler);
        options ??= LegacyStreamOptions.Default;
        options.Validate();
        _server = server;
        Outbox = outbox;
        _handler = handler;
        _options = options;
        _observer = observer;
        _initial = connected;
    }

    /// <summary>Where the next connection goes (<see cref="MoveServer"/> changes it).</summary>
    public IPEndPoint Server => Volatile.Read(ref _server);

    /// <summary>
    /// Where the connection up now, or the last one, went; null before the first. It differs from <see cref="Server"/>
    /// when the server moved while that connection was up.
    /// </summary>
    public IPEndPoint? ConnectedTo => Volatile.Read(ref _connectedTo);

    private IPEndPoint? _connectedTo;

    /// <summary>
    /// The server is at <paramref name="server"/> from now on (a reload found its name elsewhere): the next connection,
    /// the first after the one up now ends or a reconnect after a failure, goes there. The connection up now is left as
    /// it is: closing it would lose what is on its way, and an application on the far side may be in the middle of a job.
    /// </summary>
    public void MoveServer(IPEndPoint server)
    {
        ArgumentNullException.ThrowIfNull(server);
        Volatile.Write(ref _server, server);
    }

    /// <summary>Frames waiting to be written, kept across reconnects.</summary>
    public FrameOutbox Outbox { get; }

    /// <summary>True while a connection is up.</summary>
    public bool IsConnected => Volatile.Read(ref _current) is { IsClosing: false };

    /// <summary>Connections made so far (the first included).</summary>
    public int Connections { get; private set; }

    /// <summary>Frames received over every connection so far (the current one included).</summary>
    public long FramesIn => _framesInBefore + (Volatile.Read(ref _current)?.FramesIn ?? 0);

    private long _framesInBefore;

    /// <summary>Connects and reconnects until <see cref="Close"/>. Never throws for network trouble.</summary>
    public async Task RunAsync()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("The client is already running.");
        }

        var backoff = new ReconnectBackoff(_options.ReconnectDelayMin, _options.ReconnectDelayMax);
        var token = _closing.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var target = Server; // a connection made at start was made to the server given then
                var socket = Interlocked.Exchange(ref _initial, null);
                if (socket is null)
                {
                    // Connect only when there is something to send: replies only ever answer requests, and an
                    // idle client that reconnected on its own would, against a Python server (which closes its
                    // previous connection for every new one), cut off whichever application is active.
                    while (Outbox.PendingBytes == 0 && !token.IsCancellationRequested)
                    {
                        await Outbox.WaitAsync().ConfigureAwait(false);
                    }

                    token.ThrowIfCancellationRequested();
                    try
                    {
                        socket = await LegacyStreamSockets.ConnectAsync(target, _options.ConnectTimeout, token).ConfigureAwait(false);
                    }
                    catch (SocketException e)
                    {
                        var delay = backoff.Next();
                        _observer?.OnConnectFailed(this, e.SocketErrorCode, delay);
                        await Task.Delay(delay, token).ConfigureAwait(false);
                        continue;
                    }
                }

                var connection = new LegacyStreamConnection(socket, Outbox, _handler, _options);
                Volatile.Write(ref _connectedTo, target);
                Volatile.Write(ref _current, connection);
                if (token.IsCancellationRequested)
                {
                    connection.Close();
                }

                _observer?.OnConnected(this, isReconnect: Connections > 0);
                Connections++;
                var started = Stopwatch.GetTimestamp();
                var close = await connection.RunAsync().ConfigureAwait(false);
                _framesInBefore += connection.FramesIn;
                Volatile.Write(ref _current, null);
                if (token.IsCancellationRequested)
                {
                    break;
                }

                if (Stopwatch.GetTimestamp() - started >= StableTicks)
                {
                    backoff.Reset();
                }

                var retryIn = backoff.Next();
                _observer?.OnDisconnected(this, close, retryIn);
                await Task.Delay(retryIn, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Closed while connecting or waiting to retry.
        }
        finally
        {
            Interlocked.Exchange(ref _initial, null)?.Dispose();
        }
    }

    /// <summary>Stops for good: closes the current connection and the outbox, ends <see cref="RunAsync"/>. Idempotent.</summary>
    public void Close()
    {
        Outbox.Close();

        // Cancel on the thread pool: a caller such as a UDP loop must not end up running the connect or delay
        // continuations inline.
        _ = _closing.CancelAsync();

        Volatile.Read(ref _current)?.Close();
        if (Volatile.Read(ref _started) == 0)
        {
            Interlocked.Exchange(ref _initial, null)?.Dispose();
        }
    }

    /// <summary>
    /// After queueing frames: writes them now on the caller's thread if the connection is up and idle and the socket
    /// takes them without waiting, else wakes its writer (see <see cref="LegacyStreamConnection.FlushOrWake"/>). Never blocks.
    /// </summary>
    public void FlushOrWake()
    {
        if (Volatile.Read(ref _current) is { } connection)
        {
            connection.FlushOrWake();
        }
        else
        {
            Outbox.Wake();
        }
    }

    /// <summary>Closes the current connection if its writes have stalled (see <see cref="LegacyStreamConnection.CloseIfStalled"/>); it will reconnect.</summary>
    public bool CloseIfStalled(long timestamp) => Volatile.Read(ref _current)?.CloseIfStalled(timestamp) ?? false;

    public override string ToString() => $"stream client to {_server}";
}
