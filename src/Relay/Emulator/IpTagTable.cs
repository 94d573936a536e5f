using System.Net;

namespace FastSpinnRelay.Relay.Emulator;

/// <summary>One IP tag: where the board sends output for this tag (or, for a reverse tag, where it listens).</summary>
public sealed class IpTag
{
    public required int Number { get; init; }

    /// <summary>Destination of output through this tag; for a reverse tag, the last sender to its port.</summary>
    public IPEndPoint? Destination { get; set; }

    /// <summary>Output carries only the bytes from the SCP command field on (no pad, no SDP header).</summary>
    public bool Strip { get; set; }

    public bool Reverse { get; set; }

    /// <summary>Reverse tags: the board UDP port that receives input.</summary>
    public int ReceivePort { get; set; }

    /// <summary>Reverse tags: the chip and SDP port/cpu byte the input is delivered to.</summary>
    public byte DestX { get; set; }

    public byte DestY { get; set; }

    public byte DestPortCpu { get; set; }

    /// <summary>Timeout code (transient tags: 10 ms × 2^(code−1)).</summary>
    public int TimeoutCode { get; set; }

    /// <summary>Packets sent through (or, reverse, received by) this tag.</summary>
    public long Count;

    /// <summary>Transient tags: when the tag lapses if its reply was never sent.</summary>
    public long ExpiresAtTicks { get; set; }
}

/// <summary>
/// The board's tag table as SC&amp;MP keeps it: 16 entries, tags 0–7 fixed (user-set; 0 is the host's),
/// tags 8–15 the transient pool that carries one reply each. When the pool is exhausted a reply-wanted request
/// is dropped silently, as a real board does. Thread-safe (one lock): the SCP worker and the delayed-reply
/// worker share it.
/// </summary>
public sealed class IpTagTable
{
    public const int FixedCount = 8;
    public const int PoolCount = 8;
    public const int Size = FixedCount + PoolCount;

    /// <summary>Default transient-tag timeout code (9: 10 ms × 2^8 = 2.56 s), as SC&amp;MP boots with.</summary>
    public const int DefaultTimeoutCode = 9;

    private readonly IpTag?[] tags = new IpTag?[Size];
    private readonly Lock gate = new();

    public int TransientTimeoutCode { get; private set; } = DefaultTimeoutCode;

    /// <summary>Transient tags in use right now (replies owed).</summary>
    public int TransientInUse
    {
        get
        {
            lock (gate)
            {
                var n = 0;
                for (var i = FixedCount; i < Size; i++)
                {
                    n += tags[i] is null ? 0 : 1;
                }

                return n;
            }
        }
    }

    public IpTag? Get(int tag)
    {
        lock (gate)
        {
            return (uint)tag < Size ? tags[tag] : null;
        }
    }

    /// <summary>Sets a fixed tag (0–7); returns false for a tag outside that range.</summary>
    public bool SetFixed(IpTag tag)
    {
        if ((uint)tag.Number >= FixedCount)
        {
            return false;
        }

        lock (gate)
        {
            tags[tag.Number] = tag;
        }

        return true;
    }

    /// <summary>The lowest free fixed tag above 0 (0 belongs to the host), or −1.</summary>
    public int FindFreeFixed()
    {
        lock (gate)
        {
            for (var i = 1; i < FixedCount; i++)
            {
                if (tags[i] is null)
                {
                    return i;
                }
            }

            return -1;
        }
    }

    /// <summary>Frees a tag; returns the tag that was there (so a reverse tag's socket can be closed).</summary>
    public IpTag? Clear(int tag)
    {
        lock (gate)
        {
            if ((uint)tag >= Size)
            {
                return null;
            }

            var old = tags[tag];
            tags[tag] = null;
            return old;
        }
    }

    /// <summary>Sets the transient timeout code; returns the previous one. Codes of 16 and up are refused (false).</summary>
    public bool TrySetTimeoutCode(int code, out int previous)
    {
        lock (gate)
        {
            previous = TransientTimeoutCode;
            if ((uint)code >= 16)
            {
                return false;
            }

            TransientTimeoutCode = code;
            return true;
        }
    }

    /// <summary>
    /// Takes a transient tag for a reply to <paramref name="requester"/>; −1 when the pool is exhausted. Lapsed
    /// tags are reclaimed first.
    /// </summary>
    public int AllocateTransient(IPEndPoint requester, long nowTicks)
    {
        lock (gate)
        {
            var free = -1;
            for (var i = FixedCount; i < Size; i++)
            {
                if (tags[i] is { } t && t.ExpiresAtTicks <= nowTicks)
                {
                    tags[i] = null;
                }

                if (tags[i] is null && free < 0)
                {
                    free = i;
                }
            }

            if (free < 0)
            {
                return -1;
            }

            tags[free] = new IpTag
            {
                Number = free,
                Destination = requester,
                TimeoutCode = TransientTimeoutCode,
                ExpiresAtTicks = nowTicks + TransientLifetimeTicks(TransientTimeoutCode),
            };
            return free;
        }
    }

    /// <summary>Frees a transient tag once its one reply has been sent.</summary>
    public void ReleaseTransient(int tag)
    {
        if (tag is >= FixedCount and < Size)
        {
            lock (gate)
            {
                tags[tag] = null;
            }
        }
    }

    public void Reset()
    {
        lock (gate)
        {
            Array.Clear(tags);
            TransientTimeoutCode = DefaultTimeoutCode;
        }
    }

    /// <summary>10 ms × 2^(code−1), in <see cref="System.Diagnostics.Stopwatch"/> ticks; code 0 means "no timeout".</summary>
    public static long TransientLifetimeTicks(int code) =>
        code == 0
            ? long.MaxValue / 2
            : (long)(System.Diagnostics.Stopwatch.Frequency * 0.010 * (1L << (code - 1)));
}
