using System.Net.Sockets;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Host;

namespace FastSpinnRelay.Relay.Tunneling.Internal;

/// <summary>
/// Clears the IP tag of a released live-output flow on the board (IPTAG CLR), so the board stops sending the tag's output
/// to a socket that is closed (ICMP errors, wasted bandwidth, and whoever binds the port next would receive it). Only a
/// tag that still points at the flow's socket is cleared: it is read back first (IPTAG GET) and compared with its
/// <see cref="LiveTagClaim"/>, since someone else may have set it since. Best effort and bounded: each request waits
/// <see cref="AttemptTimeout"/> and is sent <see cref="Attempts"/> times at most, on a thread-pool thread of its own, so
/// no channel waits for it; a stopping server waits <see cref="ShutdownWait"/> at most for those under way. One log line
/// per tag; failures are counted. Each tag is cleared on the board it was set on (<see cref="LiveTagClaim.Board"/>).
/// </summary>
internal sealed class LiveTagCleaner(string component)
{
    /// <summary>How long each GET or CLR attempt waits for the board's reply.</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>Sends of each request before giving up (so at most 2 × 3 × 0.5 s = 3 s per tag).</summary>
    public const int Attempts = 3;

    /// <summary>The longest a stopping server waits for the clears under way.</summary>
    public static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(5);

    private readonly LogLimiter _failureLog = new(5, TimeSpan.FromSeconds(10));
    private readonly HashSet<Task> _pending = [];
    private long _cleared;
    private long _leftAlone;
    private long _failed;

    /// <summary>Tags cleared on the board after their flow was released.</summary>
    public long Cleared => Interlocked.Read(ref _cleared);

    /// <summary>Tags not cleared because they pointed elsewhere by then (set again by someone else) or were free already.</summary>
    public long LeftAlone => Interlocked.Read(ref _leftAlone);

    /// <summary>Tags that could not be read back or cleared (no reply, an error reply).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Runs <paramref name="clear"/> (which calls <see cref="ClearIfOurs"/>) on a thread of its own (<see cref="BoardRequests"/>); a stopping server waits for it.</summary>
    public void Start(Action clear)
    {
        var task = BoardRequests.Run(clear);
        lock (_pending)
        {
            _pending.RemoveWhere(static t => t.IsCompleted); // so the set holds the clears under way, and a few just done
            _pending.Add(task);
        }
    }

    /// <summary>
    /// Clears the tag of <paramref name="claim"/> if the board still sends it to the claim's socket; logs one line either
    /// way. Blocks for up to 3 s; the caller holds the tag's lock, so no SET of the tag by this server crosses it.
    /// </summary>
    public void ClearIfOurs(LiveTagClaim claim, BoardFlow flow, string why)
    {
        try
        {
            using var scp = new ScpClient(claim.Board) { Timeout = AttemptTimeout, Attempts = Attempts };
            var entry = scp.GetIpTag(claim.Tag);
            if (!claim.StillOurs(entry))
            {
                LeaveAlone(claim, flow, why, entry.IsValid
                    ? $"it points at {LiveTagClaim.Describe(entry.IPv4)}:{entry.TxPort} now (set again by someone else)"
                    : "it is free already");
                return;
            }

            scp.ClearIpTag(claim.Tag);
            Interlocked.Increment(ref _cleared);
            Log.Info(component, $"IP tag {claim.Tag} cleared on board {claim.Board}: {flow} released it ({why}), so the board stops sending to {claim}");
        }
        catch (Exception e) when (e is ScpClientException or SocketException)
        {
            Interlocked.Increment(ref _failed);
            _failureLog.Write(LogLevel.Warning, component, (Claim: claim, Flow: flow, e.Message), static s =>
                $"cannot clear IP tag {s.Claim.Tag} on board {s.Claim.Board} after {s.Flow}: {Log.Escape(s.Message)}; the board may go on sending its output to {s.Claim}");
        }
    }

    /// <summary>Counts and logs a tag not cleared because it is no longer <paramref name="flow"/>'s: <paramref name="now"/> says where it points.</summary>
    public void LeaveAlone(LiveTagClaim claim, BoardFlow flow, string why, string now)
    {
        Interlocked.Increment(ref _leftAlone);
        Log.Info(component, $"IP tag {claim.Tag} on board {claim.Board} left as it is after {flow} ({why}): {now}, not at {claim}");
    }

    /// <summary>Waits for the clears under way, <see cref="ShutdownWait"/> at most; says how many it gave up on.</summary>
    public async Task WaitAsync()
    {
        Task[] pending;
        lock (_pending)
        {
            pending = [.. _pending];
        }

        if (pending.Length == 0)
        {
            return;
        }

        var all = Task.WhenAll(pending);
        if (await Task.WhenAny(all, Task.Delay(ShutdownWait)).ConfigureAwait(false) != all)
        {
            var left = pending.Count(t => !t.IsCompleted);
            Log.Warn(component, $"stopping without waiting longer for {left} IP tag clear(s) on the board ({ShutdownWait.TotalSeconds:0} s)");
        }
    }
}
