namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>One job. Mutable fields change only under <see cref="JobBoard"/>'s lock; readers take a <see cref="Snapshot"/>.</summary>
internal sealed class Job(int id, string owner, BoardRequest request, TimeSpan keepaliveInterval, DateTimeOffset created, string? originalRequest)
{
    private TaskCompletionSource _changed = NewSignal();

    public int Id { get; } = id;

    public string Owner { get; } = owner;

    public BoardRequest Request { get; } = request;

    public TimeSpan KeepaliveInterval { get; } = keepaliveInterval;

    public DateTimeOffset Created { get; } = created;

    /// <summary>The create request's JSON as received (for the job's description), or null.</summary>
    public string? OriginalRequest { get; } = originalRequest;

    public JobState State { get; private set; } = JobState.Queued;

    public JobAllocation? Allocation { get; private set; }

    public DateTimeOffset LastKeepalive { get; set; } = created;

    public string? KeepaliveHost { get; set; }

    public DateTimeOffset? Finished { get; private set; }

    public string? Reason { get; private set; }

    /// <summary>Requests waiting for a change now (<c>?wait=true</c>); for tests and diagnostics.</summary>
    public int Waiters;

    /// <summary>Completes at the next state change (for <c>?wait=true</c>).</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    public Snapshot Take() => new(Id, Owner, State, Allocation, Created, LastKeepalive, KeepaliveHost, Finished, Reason, OriginalRequest);

    internal void Allocate(JobAllocation allocation)
    {
        Allocation = allocation;
        State = JobState.Ready;
        Signal();
    }

    internal void Destroy(DateTimeOffset now, string reason)
    {
        State = JobState.Destroyed;
        Allocation = null;
        Finished = now;
        Reason = reason;
        Signal();
    }

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A consistent copy of a job's state for one response.</summary>
    public sealed record Snapshot(
        int Id, string Owner, JobState State, JobAllocation? Allocation, DateTimeOffset Created, DateTimeOffset LastKeepalive,
        string? KeepaliveHost, DateTimeOffset? Finished, string? Reason, string? OriginalRequest);
}
