using System.Net;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// Bounds the PBKDF2 work that wrong tokens can cost the server: checking an unknown token costs about 30 ms of CPU
/// per configured user, so without a bound anyone who can reach the port could keep both cores busy. Failed checks
/// are counted per client address and in all; once an address has <see cref="PerPeer"/> failures in a
/// <see cref="Window"/>, or all addresses together <see cref="Overall"/>, further unknown tokens from it (or from
/// anyone) are refused without hashing until the window ends. Tokens that matched once are remembered by
/// <see cref="UserDirectory"/> and never reach this.
/// </summary>
/// <remarks>Thread-safe (one lock). Remembers at most <see cref="MaxPeers"/> addresses; when full, the oldest windows are forgotten.</remarks>
internal sealed class LoginThrottle(TimeProvider time)
{
    /// <summary>Failed checks allowed from one address per window.</summary>
    public const int PerPeer = 10;

    /// <summary>Failed checks allowed from all addresses together per window.</summary>
    public const int Overall = 60;

    /// <summary>Addresses remembered at once.</summary>
    public const int MaxPeers = 4096;

    /// <summary>Length of a counting window.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, (long Start, int Failures)> _peers = [];
    private long _overallStart = long.MinValue;
    private int _overallFailures;

    /// <summary>Addresses with a failure counted now (at most <see cref="MaxPeers"/>).</summary>
    public int PeersRemembered
    {
        get
        {
            lock (_gate)
            {
                return _peers.Count;
            }
        }
    }

    /// <summary>True when a check of an unknown token from <paramref name="peer"/> may run now (refusals are counted by the caller, <see cref="UserDirectory.Counters"/>).</summary>
    public bool TryAllow(IPAddress? peer)
    {
        var now = time.GetUtcNow().UtcTicks;
        lock (_gate)
        {
            var overall = InWindow(_overallStart, now) ? _overallFailures : 0;
            var own = peer is not null && _peers.TryGetValue(peer, out var entry) && InWindow(entry.Start, now) ? entry.Failures : 0;
            if (overall < Overall && own < PerPeer)
            {
                return true;
            }

            return false;
        }
    }

    /// <summary>Counts a failed check from <paramref name="peer"/>.</summary>
    public void Failed(IPAddress? peer)
    {
        var now = time.GetUtcNow().UtcTicks;
        lock (_gate)
        {
            if (!InWindow(_overallStart, now))
            {
                (_overallStart, _overallFailures) = (now, 0);
            }

            _overallFailures++;
            if (peer is null)
            {
                return;
            }

            if (_peers.TryGetValue(peer, out var entry) && InWindow(entry.Start, now))
            {
                _peers[peer] = (entry.Start, entry.Failures + 1);
                return;
            }

            if (_peers.Count >= MaxPeers)
            {
                ForgetEnded(now);
            }

            _peers[peer] = (now, 1);
        }
    }

    /// <summary>Whether the window that started at <paramref name="start"/> still runs at <paramref name="now"/> (both UTC ticks).</summary>
    private static bool InWindow(long start, long now) => start != long.MinValue && now - start < Window.Ticks && now >= start;

    /// <summary>Drops ended windows; if none had ended, every address (the table is full of live attackers: start afresh).</summary>
    private void ForgetEnded(long now)
    {
        var before = _peers.Count;
        foreach (var (peer, entry) in _peers)
        {
            if (!InWindow(entry.Start, now))
            {
                _peers.Remove(peer);
            }
        }

        if (_peers.Count == before)
        {
            _peers.Clear();
        }
    }
}
