using System.Diagnostics;
using System.Net.WebSockets;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Spalloc.Internal;
using FastSpinnRelay.Tunnel;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// One proxy websocket of one job: the receive loop (<c>ProxySession.Receive.cs</c>) turns client frames into UDP
/// sends and channel operations; the send loop (<c>ProxySession.Send.cs</c>) drains the bounded send queue that the
/// channels (on the UDP loop thread) and the replies fill. The first shutdown reason is recorded and logged.
/// </summary>
/// <remarks>
/// Shutdown: whoever ends the session (a close frame from the client, a protocol violation, the job being destroyed,
/// the server stopping) closes every channel first, so the boards stop being reachable at once; the send loop then
/// sends what is still queued (unless the client already closed) and the close frame. A client that stops reading is
/// aborted by the stall check instead. <see cref="Completion"/> finishes when everything is released.
/// </remarks>
internal sealed partial class ProxySession
{
    /// <summary>How long a close handshake the server started may take before the connection is aborted.</summary>
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    private readonly WebSocket _ws;
    private readonly ProxyHub _hub;
    private readonly SpallocProxyCounters _counters;
    private readonly Lock _gate = new();
    private readonly Dictionary<uint, ProxyChannel> _channels = [];
    private readonly AsyncSignal _sendSignal = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _name;
    private readonly long _stallTicks;
    private int _reason;
    private WebSocketCloseStatus? _closeStatus;
    private string? _closeDescription;
    private long _sendStarted;

    /// <summary>The connection under <see cref="_ws"/> when it gathers writes (see <see cref="SendLoopAsync"/>), else null.</summary>
    private readonly GatheringStream? _gathering;

    /// <summary>A session for an accepted websocket; <paramref name="gathering"/> is the stream under it if it gathers writes (a batch of frames is then one write).</summary>
    public ProxySession(WebSocket webSocket, ProxyHub hub, int jobId, string user, JobAllocation allocation, string peer, GatheringStream? gathering = null)
    {
        _ws = webSocket;
        _gathering = gathering;
        _hub = hub;
        _counters = hub.Counters;
        JobId = jobId;
        Allocation = allocation;
        Queue = new ProxySendQueue(hub.Options.SendQueueBytes, hub.Counters);
        _name = $"websocket #{hub.NextSessionId()} ({user}, job {jobId}, {peer})";
        _stallTicks = (long)(hub.Options.StallTimeout.TotalSeconds * Stopwatch.Frequency);
    }

    public int JobId { get; }

    /// <summary>Who opened it, as authenticated then, and whose job it is: what a reload checks access against (null in tests that build sessions by hand).</summary>
    public ProxyAccess? Access { get; init; }

    /// <summary>The job's boards, as the job sees them (fixed for the session's life).</summary>
    public JobAllocation Allocation { get; }

    public ProxySendQueue Queue { get; }

    /// <summary>Why the session ended (None while open).</summary>
    public ProxyShutdownReason Reason => (ProxyShutdownReason)Volatile.Read(ref _reason);

    /// <summary>Completes when the session has released everything.</summary>
    public Task Completion => _completion.Task;

    public int ChannelCount
    {
        get
        {
            lock (_gate)
            {
                return _channels.Count;
            }
        }
    }

    public override string ToString() => _name;

    /// <summary>Serves the websocket until it ends; never throws for anything the client or network does.</summary>
    public async Task RunAsync(CancellationToken requestAborted)
    {
        _hub.Add(this);
        _counters.WebSocketAccepted();
        Log.Info(ProxyHub.Component, $"{_name}: open");
        try
        {
            using var registration = requestAborted.Register(static s => ((ProxySession)s!).Abort(ProxyShutdownReason.ConnectionLost), this);
            var sender = SendLoopAsync();
            var outcome = await ReceiveLoopAsync().ConfigureAwait(false);
            switch (outcome.Kind)
            {
                case OutcomeKind.ClientClosed:
                    SetReason(ProxyShutdownReason.ClientClosed);
                    CloseAfterDrain(WebSocketCloseStatus.NormalClosure, null, discardPending: true);
                    break;
                case OutcomeKind.Violation:
                    if (SetReason(ProxyShutdownReason.ProtocolViolation))
                    {
                        _counters.ProtocolViolation();
                        Log.Info(ProxyHub.Component, $"{_name}: closing with {(int)outcome.Status} ({outcome.Description})");
                    }

                    CloseAfterDrain(outcome.Status, outcome.Description, discardPending: false);
                    break;
                default:
                    Abort(ProxyShutdownReason.ConnectionLost);
                    break;
            }

            CloseAllChannels();
            using (var bound = new CancellationTokenSource(_hub.Options.StallTimeout + CloseHandshakeTimeout))
            {
                if (await Task.WhenAny(sender, Task.Delay(Timeout.Infinite, bound.Token)).ConfigureAwait(false) != sender)
                {
                    Abort(ProxyShutdownReason.ClientStoppedReading);
                }

                await bound.CancelAsync().ConfigureAwait(false);
            }

            await sender.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            SetReason(ProxyShutdownReason.ServerError);
            Log.Error(ProxyHub.Component, $"{_name}: unexpected fault: {ex}");
            Abort(ProxyShutdownReason.ServerError);
            CloseAllChannels();
        }
        finally
        {
            _hub.Remove(this);
            _counters.WebSocketClosed();
            Log.Write(
                Reason is ProxyShutdownReason.ServerError or ProxyShutdownReason.ClientStoppedReading ? LogLevel.Warning : LogLevel.Info,
                ProxyHub.Component,
                $"{_name}: closed ({Reason}); {Queue.QueuedFrames} frames queued, {Queue.DroppedLive} live frames dropped, {Queue.DroppedReplies} replies dropped");
            _abort.Dispose();
            _completion.TrySetResult();
        }
    }

    /// <summary>
    /// Ends the session from outside (job destroyed, server stopping): channels closed now, queued frames and a close
    /// frame sent, the connection aborted if the client does not answer the close in time. First reason wins.
    /// </summary>
    public void RequestClose(ProxyShutdownReason reason, WebSocketCloseStatus status, string description)
    {
        if (!SetReason(reason))
        {
            return;
        }

        Log.Info(ProxyHub.Component, $"{_name}: closing ({description})");
        CloseAllChannels();
        CloseAfterDrain(status, description, discardPending: false);
        try
        {
            _abort.CancelAfter(CloseHandshakeTimeout);
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }
    }

    /// <summary>Aborts the connection at once (no close handshake). First reason wins.</summary>
    public void Abort(ProxyShutdownReason reason)
    {
        SetReason(reason);
        Queue.Complete(discardPending: true);
        _sendSignal.Set();
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }

        _ws.Abort();
    }

    /// <summary>Timer thread: aborts the session when one send has been pending longer than the stall timeout.</summary>
    public void CheckStall(long now)
    {
        var started = Volatile.Read(ref _sendStarted);
        if (started != 0 && now - started > _stallTicks && SetReason(ProxyShutdownReason.ClientStoppedReading))
        {
            _counters.Stalled();
            Log.Warn(ProxyHub.Component, $"{_name}: the client took nothing for {_hub.Options.StallTimeout.TotalSeconds:0.#} s (it stopped reading); disconnecting");
            Abort(ProxyShutdownReason.ClientStoppedReading);
        }
    }

    /// <summary>Wakes the send loop (once per batch of queued frames).</summary>
    public void WakeSender() => _sendSignal.Set();

    /// <summary>
    /// <see cref="WakeSender"/> for the <paramref name="queued"/> frames one receive queued, from a UDP loop with no lock
    /// held: a short run is written on this thread when the send loop is idle (<see cref="AsyncSignal.SetAfterRun"/>).
    /// </summary>
    public void WakeSenderAfterReceive(long queued) => _sendSignal.SetAfterRun(queued);

    private bool SetReason(ProxyShutdownReason reason) =>
        Interlocked.CompareExchange(ref _reason, (int)reason, (int)ProxyShutdownReason.None) == (int)ProxyShutdownReason.None;

    private void CloseAfterDrain(WebSocketCloseStatus status, string? description, bool discardPending)
    {
        lock (_gate)
        {
            if (_closeStatus is null)
            {
                _closeStatus = status;
                _closeDescription = description;
            }
        }

        Queue.Complete(discardPending);
        _sendSignal.Set();
    }

    private void CloseAllChannels()
    {
        ProxyChannel[] channels;
        lock (_gate)
        {
            channels = [.. _channels.Values];
            _channels.Clear();
        }

        foreach (var channel in channels)
        {
            Release(channel);
        }
    }

    private void Release(ProxyChannel channel)
    {
        if (!_hub.Loop.Unregister(channel.Socket, dispose: true))
        {
            channel.Socket.Dispose();
        }

        _counters.ChannelClosed();
    }
}

/// <summary>The user a proxy websocket was opened for (as authenticated at the handshake) and the owner of its job.</summary>
internal sealed record ProxyAccess(SpallocUser User, string JobOwner);
