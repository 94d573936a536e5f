namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>
/// Decides whether a <see cref="UdpEventLoop"/> that has just handled datagrams should poll without blocking for a
/// while before it sleeps (<see cref="UdpEventLoopOptions.SpinBeforeSleep"/>). A spin that finds a socket ready
/// (a hit) saves a sleep and a wake-up; one that runs out (a miss) only burns its budget. Credit rises with hits
/// and falls with misses: the loop spins while it has credit, and once it has none (traffic whose next datagram
/// comes later than the budget, such as a paced stream) it only probes once every <see cref="ProbeInterval"/>
/// chances, so a changed pattern is noticed without paying for a spin after every batch. A spin during which another
/// thread took the core spends all credit at once: on a busy machine sleeping serves better. It starts with full credit.
/// </summary>
/// <remarks>Loop thread only; a plain struct field of the loop, no allocation.</remarks>
internal struct SpinPolicy
{
    /// <summary>Most credit held: after a long run of hits, this many misses in a row stop the spinning.</summary>
    public const int MaxCredit = 4;

    /// <summary>Without credit, one chance in this many spins anyway, to find out whether spinning pays again.</summary>
    public const int ProbeInterval = 64;

    // Credit spent (MaxCredit - credit), so that the default value is full credit.
    private int _spent;
    private int _declined;

    /// <summary>Spins that would be allowed in a row from now on if all of them missed.</summary>
    public readonly int Credit => MaxCredit - _spent;

    /// <summary>Called when the loop could spin; true when it should.</summary>
    public bool ShouldSpin()
    {
        if (_spent < MaxCredit)
        {
            return true;
        }

        if (++_declined < ProbeInterval)
        {
            return false;
        }

        _declined = 0;
        return true;
    }

    /// <summary>The spin found a socket ready.</summary>
    public void Hit() => _spent = Math.Max(_spent - 1, 0);

    /// <summary>The spin ran out of budget and the loop slept.</summary>
    public void Miss() => _spent = Math.Min(_spent + 1, MaxCredit);

    /// <summary>Another thread took the core during the spin (the machine is busy): no credit left, probe later.</summary>
    public void Contended()
    {
        _spent = MaxCredit;
        _declined = 0;
    }
}
