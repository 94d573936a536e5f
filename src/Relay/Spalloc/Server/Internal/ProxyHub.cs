using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// What every proxy websocket of one server shares: the UDP event loop all channel sockets are registered on, the
/// server-wide channel id counter (never 0, so ids are never shared between websockets), the counters, and the set
/// of live sessions (for closing a destroyed job's websockets and for the stall check).
/// </summary>
internal sealed class ProxyHub : IDisposable
{
    public const string Component = "spalloc";

    private readonly Lock _gate = new();
    private readonly HashSet<ProxySession> _sessions = [];

    /// <summary>The sessions <see cref="CheckStalls"/> walks (outside the lock), reused; also its own lock (one check at a time).</summary>
    private readonly List<ProxySession> _stallCheck = [];
    private int _nextChannelId;
    private int _nextSessionId;

    public ProxyHub(SpallocServerOptions options)
    {
        Options = options;
        Loop = new UdpEventLoop(new UdpEventLoopOptions { Name = "spalloc-udp" });
    }

    public SpallocServerOptions Options { get; }

    public UdpEventLoop Loop { get; }

    public SpallocProxyCounters Counters { get; } = new();

    public int SessionCount
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>The next channel id: one counter for the whole server, skipping 0 when it wraps.</summary>
    public uint NextChannelId()
    {
        uint id;
        do
        {
            id = (uint)Interlocked.Increment(ref _nextChannelId);
        }
        while (id == 0);
        return id;
    }

    public int NextSessionId() => Interlocked.Increment(ref _nextSessionId);

    public void Add(ProxySession session)
    {
        lock (_gate)
        {
            _sessions.Add(session);
        }
    }

    public void Remove(ProxySession session)
    {
        lock (_gate)
        {
            _sessions.Remove(session);
        }
    }

    /// <summary>Closes every websocket of a destroyed job (their channels first, so the boards are unreachable at once).</summary>
    public void CloseJob(int jobId, string reason) =>
        CloseWhere(s => s.JobId == jobId, ProxyShutdownReason.JobDestroyed, WebSocketCloseStatus.NormalClosure, $"job {jobId} destroyed: {reason}");

    /// <summary>
    /// Closes, as <see cref="CloseJob"/> does, every websocket for which <paramref name="close"/> is true (their
    /// channels first); returns how many were asked to close.
    /// </summary>
    public int CloseWhere(Func<ProxySession, bool> close, ProxyShutdownReason reason, WebSocketCloseStatus status, string description)
    {
        var closed = 0;
        foreach (var session in Snapshot())
        {
            if (close(session))
            {
                session.RequestClose(reason, status, description);
                closed++;
            }
        }

        return closed;
    }

    /// <summary>
    /// Closes websockets whose client has not taken a frame for the stall timeout. Runs every second (housekeeping), so
    /// it copies the sessions into a list it keeps rather than a fresh array: a check that finds nothing allocates nothing.
    /// </summary>
    public void CheckStalls()
    {
        lock (_stallCheck)
        {
            lock (_gate)
            {
                _stallCheck.AddRange(_sessions);
            }

            var now = Stopwatch.GetTimestamp();
            foreach (var session in _stallCheck)
            {
                session.CheckStall(now);
            }

            _stallCheck.Clear();
        }
    }

    /// <summary>Asks every websocket to close and waits (bounded) for them to finish.</summary>
    public async Task CloseAllAsync(TimeSpan bound)
    {
        var sessions = Snapshot();
        foreach (var session in sessions)
        {
            session.RequestClose(ProxyShutdownReason.ServerStopping, WebSocketCloseStatus.EndpointUnavailable, "server stopping");
        }

        var all = Task.WhenAll(sessions.Select(s => s.Completion));
        if (await Task.WhenAny(all, Task.Delay(bound)).ConfigureAwait(false) != all)
        {
            foreach (var session in sessions)
            {
                session.Abort(ProxyShutdownReason.ServerStopping);
            }
        }
    }

    /// <summary>
    /// The IPv4 address reported for unbound channels: the configured one, else the local address the kernel would
    /// send from towards the job's first board (0.0.0.0 if there is no route).
    /// </summary>
    public IPAddress ReportedAddress(JobAllocation allocation)
    {
        if (Options.UnboundAddress is { } configured && !configured.Equals(IPAddress.Any))
        {
            return configured;
        }

        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(new IPEndPoint(allocation.Boards[0].Address, 17893));
            return ((IPEndPoint)probe.LocalEndPoint!).Address;
        }
        catch (SocketException ex)
        {
            Log.Warn(Component, $"no route to {allocation.Boards[0].Address} to report for unbound channels ({ex.SocketErrorCode}); reporting 0.0.0.0");
            return IPAddress.Any;
        }
    }

    public void Dispose() => Loop.Dispose();

    private ProxySession[] Snapshot()
    {
        lock (_gate)
        {
            return [.. _sessions];
        }
    }
}
