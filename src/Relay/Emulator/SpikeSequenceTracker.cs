namespace FastSpinnRelay.Relay.Emulator;

/// <summary>
/// Receiver-side check of the emulator's live output: every packet's first key is its sequence number, so a
/// receiver can count what was lost, duplicated and reordered. A packet counted lost that turns up later within
/// the window becomes "reordered" instead. Allocation-free after construction; not thread-safe.
/// </summary>
public sealed class SpikeSequenceTracker
{
    private readonly ulong[] seen;
    private readonly uint windowMask;
    private bool started;
    private uint next;

    /// <param name="window">How far back (in packets, a power of two) late arrivals are recognised. Default 65,536.</param>
    public SpikeSequenceTracker(int window = 1 << 16)
    {
        if (window < 64 || (window & (window - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "window must be a power of two of at least 64");
        }

        seen = new ulong[window / 64];
        windowMask = (uint)window - 1;
    }

    public long Received { get; private set; }

    /// <summary>Packets never seen (a gap that was later filled counts as reordered, not lost).</summary>
    public long Lost { get; private set; }

    public long Duplicated { get; private set; }

    public long Reordered { get; private set; }

    /// <summary>Packets whose number was too far behind to judge (older than the window).</summary>
    public long TooLate { get; private set; }

    /// <summary>The sequence number the next in-order packet should carry.</summary>
    public uint Expected => next;

    public void Observe(uint sequence)
    {
        Received++;
        if (!started)
        {
            started = true;
            next = sequence;
        }

        var ahead = (int)(sequence - next);
        if (ahead >= 0)
        {
            if (ahead > windowMask)
            {
                // A jump beyond the window: everything in between is lost; forget the old window.
                Array.Clear(seen);
                Lost += ahead;
            }
            else
            {
                for (var s = next; s != sequence; s++)
                {
                    Clear(s);
                    Lost++;
                }
            }

            Mark(sequence);
            next = sequence + 1;
            return;
        }

        if (-ahead > windowMask)
        {
            TooLate++;
            return;
        }

        if (IsMarked(sequence))
        {
            Duplicated++;
        }
        else
        {
            Mark(sequence);
            Lost--;
            Reordered++;
        }
    }

    public void Reset()
    {
        Array.Clear(seen);
        started = false;
        next = 0;
        Received = Lost = Duplicated = Reordered = TooLate = 0;
    }

    private void Mark(uint s)
    {
        var i = s & windowMask;
        seen[i >> 6] |= 1UL << (int)(i & 63);
    }

    private void Clear(uint s)
    {
        var i = s & windowMask;
        seen[i >> 6] &= ~(1UL << (int)(i & 63));
    }

    private bool IsMarked(uint s)
    {
        var i = s & windowMask;
        return (seen[i >> 6] & (1UL << (int)(i & 63))) != 0;
    }
}
