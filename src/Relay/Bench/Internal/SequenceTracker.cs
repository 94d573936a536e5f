namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>
/// Counts unique, duplicate, reordered and too-late sequence numbers of one stream without allocating: a ring
/// bitmap of the last <see cref="Window"/> numbers behind the highest seen. A number older than that window can
/// no longer be told apart from a duplicate and is counted as <see cref="TooLate"/> (not as delivered).
/// </summary>
/// <remarks>Threading: one thread (the sink's loop thread).</remarks>
internal sealed class SequenceTracker
{
    /// <summary>Numbers remembered behind the highest: 2^20 (128 KiB of bits).</summary>
    public const int Window = 1 << 20;

    private readonly ulong[] _bits = new ulong[Window / 64];
    private long _highest = -1;

    public long Unique { get; private set; }

    public long Duplicates { get; private set; }

    /// <summary>Arrived after a higher number had already arrived.</summary>
    public long Reordered { get; private set; }

    /// <summary>Arrived more than <see cref="Window"/> behind the highest number seen.</summary>
    public long TooLate { get; private set; }

    /// <summary>Highest number seen, or -1.</summary>
    public long Highest => _highest;

    public void Observe(long sequence)
    {
        if (sequence > _highest)
        {
            // Forget the numbers the window slides past (at most the whole window).
            var clearFrom = Math.Max(_highest + 1, sequence - Window + 1);
            if (sequence - clearFrom >= Window)
            {
                Array.Clear(_bits);
            }
            else
            {
                for (var s = clearFrom; s <= sequence; s++)
                {
                    Clear(s);
                }
            }

            _highest = sequence;
            Set(sequence);
            Unique++;
            return;
        }

        if (_highest - sequence >= Window)
        {
            TooLate++;
            return;
        }

        if (IsSet(sequence))
        {
            Duplicates++;
            return;
        }

        Set(sequence);
        Unique++;
        Reordered++;
    }

    private void Set(long s) => _bits[(s & (Window - 1)) >> 6] |= 1UL << (int)(s & 63);

    private void Clear(long s) => _bits[(s & (Window - 1)) >> 6] &= ~(1UL << (int)(s & 63));

    private bool IsSet(long s) => (_bits[(s & (Window - 1)) >> 6] & (1UL << (int)(s & 63))) != 0;
}
