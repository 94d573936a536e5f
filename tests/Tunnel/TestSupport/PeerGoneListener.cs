using System.IO.Pipelines;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.TestSupport;

/// <summary>
/// A listener over another whose connections' writes can be made to find the peer gone (<see cref="Hangup"/>: every
/// flush then reports the stream completed, as when the peer no longer reads) while what the peer sends still arrives.
/// That is how a peer that says goodbye and hangs up can look to a side that was writing at the time.
/// </summary>
internal sealed class PeerGoneListener(ITunnelListener inner) : ITunnelListener
{
    private readonly TaskCompletionSource _found = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _gone;

    public string LocalDescription => inner.LocalDescription;

    /// <summary>Completes when a flush has reported the peer gone.</summary>
    public Task Found => _found.Task;

    /// <summary>From now on every flush, on every connection, reports the peer gone (and delivers nothing).</summary>
    public void Hangup() => _gone = true;

    public async ValueTask<ITunnelConnection> AcceptAsync(CancellationToken cancellationToken) =>
        new Connection(await inner.AcceptAsync(cancellationToken), this);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private sealed class Connection(ITunnelConnection connection, PeerGoneListener owner) : ITunnelConnection, IDuplexPipe
    {
        public IDuplexPipe Transport => this;

        public PipeReader Input => connection.Transport.Input;

        public PipeWriter Output { get; } = new Writer(connection.Transport.Output, owner);

        public string RemoteDescription => connection.RemoteDescription;

        public TunnelPeerCertificate? PeerCertificate => connection.PeerCertificate;

        public void Abort() => connection.Abort();

        public ValueTask DisposeAsync() => connection.DisposeAsync();
    }

    private sealed class Writer(PipeWriter inner, PeerGoneListener owner) : PipeWriter
    {
        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            if (!owner._gone)
            {
                return inner.FlushAsync(cancellationToken);
            }

            owner._found.TrySetResult();
            return ValueTask.FromResult(new FlushResult(isCanceled: false, isCompleted: true));
        }
    }
}

/// <summary>The system clock, except that its timers never fire: what waits on one waits until the test ends it.</summary>
internal sealed class StoppedTimersTimeProvider : TimeProvider
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new Never();

    private sealed class Never : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => default;
    }
}
