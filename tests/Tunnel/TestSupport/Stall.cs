namespace FastSpinnRelay.Tunnel.Tests.TestSupport;

/// <summary>
/// A gate where a test's handler stalls (a visualiser that stops reading, a server that stops acknowledging) until
/// the test releases it. Disposing releases it too: declared after the tunnel pair, it is disposed first, so a
/// failed assertion never leaves a handler stalled while the pair is disposed. The wait's own limit is only a safety
/// net, far longer than any test: a stall that ended by itself in the middle of a slow test would change what the
/// test sees.
/// </summary>
internal sealed class Stall : IDisposable
{
    /// <summary>Longest a handler waits if nothing releases it.</summary>
    public static readonly TimeSpan SafetyLimit = TimeSpan.FromMinutes(4);

    private readonly ManualResetEventSlim _gate = new(false);

    /// <summary>Blocks the calling handler until released (or, once, for <see cref="SafetyLimit"/>).</summary>
    public void Wait()
    {
        if (!_gate.Wait(SafetyLimit))
        {
            _gate.Set();
        }
    }

    public void Release() => _gate.Set();

    /// <summary>Releases the handler; the event itself is left to the collector, since a handler may still be inside <see cref="Wait"/>.</summary>
    public void Dispose() => _gate.Set();
}
