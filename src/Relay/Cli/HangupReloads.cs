using System.Runtime.InteropServices;
using System.Threading.Channels;
using FastSpinnRelay.Relay.Diagnostics;

namespace FastSpinnRelay.Relay.Cli;

/// <summary>
/// SIGHUP (what <c>systemctl reload</c> sends) makes a running server read its files again (<c>spalloc serve</c> its
/// configuration, <c>tunnel serve</c> its credentials) and resolve its board's name again (<c>tunnel serve</c>,
/// <c>server</c>) instead of ending it, the signal's default. Reloads run one at a
/// time, on their own task: a signal that comes while one runs is one more reload after it (which reads the files as they
/// are then), however many came, so two signals in quick succession never run two reloads at once and the last edit is
/// always read. A reload that throws is counted as refused and logged; the server runs on.
/// </summary>
internal sealed class HangupReloads : IDisposable
{
    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly PosixSignalRegistration _hangup;

    private HangupReloads(string component, string what, Func<Task> reload, ReloadCounters counters, CancellationToken stop)
    {
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // not the default action (ending the process)
            Request();
        });
        Completion = ReloadWhenAskedAsync(component, what, reload, counters, stop);
    }

    /// <summary>Ends when <c>stop</c> is cancelled and a reload under way has finished.</summary>
    public Task Completion { get; }

    /// <summary>
    /// Handles SIGHUP from now on: each runs <paramref name="reload"/>, which logs what it did and counts it in
    /// <paramref name="counters"/>; <paramref name="what"/> names what it reads in the line about a reload that threw.
    /// </summary>
    public static HangupReloads Start(string component, string what, Func<Task> reload, ReloadCounters counters, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(reload);
        ArgumentNullException.ThrowIfNull(counters);
        return new HangupReloads(component, what, reload, counters, stop);
    }

    /// <summary>Asks for a reload, as SIGHUP does.</summary>
    public void Request() => _requests.Writer.TryWrite(true);

    /// <summary>
    /// Stops handling SIGHUP (its default action applies again); <see cref="Completion"/> ends once a reload under way has
    /// (a server whose start failed never cancels <c>stop</c>).
    /// </summary>
    public void Dispose()
    {
        _hangup.Dispose();
        _requests.Writer.TryComplete();
    }

    private async Task ReloadWhenAskedAsync(string component, string what, Func<Task> reload, ReloadCounters counters, CancellationToken stop)
    {
        await Task.Yield(); // the caller goes on starting while this waits
        try
        {
            while (await _requests.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                _requests.Reader.TryRead(out _);
                try
                {
                    await reload().ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return; // stopping in the middle of a reload (a name lookup under way): nothing to report
                }
                catch (Exception ex)
                {
                    counters.CountRefused();
                    Log.Error(component, $"reload of {what} failed: {ex}");
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping: no more reloads.
        }
    }
}

/// <summary>
/// What a reload acts on when the handler is in place before the start has made it (<c>tunnel serve</c>'s gateway, which
/// says "listening" as it starts): a reload asked for before waits for it and then runs, so a SIGHUP sent by whoever waited
/// for the start line, or sent a moment earlier, is never lost and reads the files as they are when it runs. Disposed
/// without <see cref="Started"/> (the start failed), it lets a waiting reload go without running.
/// </summary>
internal sealed class ReloadTarget<T> : IDisposable
    where T : class
{
    private readonly TaskCompletionSource<T?> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The start made <paramref name="target"/>: reloads run on it from now on (one asked for before runs now).</summary>
    public void Started(T target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _started.TrySetResult(target);
    }

    /// <summary>Runs <paramref name="reload"/> on the target once it is there; nothing if the start failed.</summary>
    public async Task RunAsync(Func<T, Task> reload)
    {
        ArgumentNullException.ThrowIfNull(reload);
        if (await _started.Task.ConfigureAwait(false) is { } target)
        {
            await reload(target).ConfigureAwait(false);
        }
    }

    /// <summary>No target will come (the start failed, or the server stopped): a reload waiting for one ends without running.</summary>
    public void Dispose() => _started.TrySetResult(null);
}

/// <summary>Reloads applied and refused since the start, for a server's <c>stats</c> and <c>stopping</c> lines and its exit report.</summary>
internal sealed class ReloadCounters
{
    private long _applied;
    private long _refused;

    public long Applied => Interlocked.Read(ref _applied);

    public long Refused => Interlocked.Read(ref _refused);

    public void CountApplied() => Interlocked.Increment(ref _applied);

    public void CountRefused() => Interlocked.Increment(ref _refused);

    /// <summary>The counts in the exit report (<see cref="ExitReport.Record"/>) as <c>{verb}ReloadsApplied</c> and <c>{verb}ReloadsRefused</c>.</summary>
    public void RecordExit(string verb)
    {
        ExitReport.Record($"{verb}ReloadsApplied", Applied);
        ExitReport.Record($"{verb}ReloadsRefused", Refused);
    }

    public override string ToString() => $"reloads: {Applied} applied, {Refused} refused";
}
