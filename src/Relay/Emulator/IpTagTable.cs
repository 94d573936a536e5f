using System.Diagnostics;
using System.Net;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Emulator;

/// <summary>
/// The board's tag table as SC&amp;MP keeps it: 16 entries, tags 0–7 fixed (user-set; 0 is the host's), tags
/// 8–15 the transient pool that carries one reply each. When the pool is exhausted a reply-wanted request is
/// dropped silently, as a real board does. Thread-safe (one lock): the SCP worker, the delayed-reply worker and
/// the spike source share it. Taking and releasing a transient tag never allocates.
/// </summary>
public sealed class IpTagTable
{
    /// <summary>Fixed (user-settable) tags: 0–7.</summary>
    public const int FixedCount = ScpIpTag.FixedTagCount;

    /// <summary>Transient tags: 8–15.</summary>
    public const int PoolCount = ScpIpTag.TransientPoolSize;

    /// <summary>Entries in the table.</summary>
    public const int Size = ScpIpTag.TableSize;

    /// <summary>Default transient-tag timeout code (9: 10 ms × 2^8 = 2.56 s), as SC&amp;MP boots with.</summary>
    public const int DefaultTimeoutCode = ScpIpTag.DefaultTransientTimeoutCode;

    private readonly IpTag?[] fixedTags = new IpTag?[FixedCount];
    private readonly TransientTag[] pool = new TransientTag[PoolCount];
    private readonly Lock gate = new();

    /// <summary>Creates an empty table.</summary>
    public IpTagTable()
    {
        for (var i = 0; i < PoolCount; i++)
        {
            pool[i] = new TransientTag();
        }
    }

    /// <summary>The code new transient tags get (TTO changes it).</summary>
    public int TransientTimeoutCode { get; private set; } = DefaultTimeoutCode;

    /// <summary>Transient tags in use right now (replies owed).</summary>
    public int TransientInUse
    {
        get
        {
            lock (gate)
            {
                var n = 0;
                foreach (var t in pool)
                {
                    n += t.InUse ? 1 : 0;
                }

                return n;
            }
        }
    }

    /// <summary>The fixed tag <paramref name="tag"/> (0–7), or null when unset or out of range.</summary>
    public IpTag? Get(int tag)
    {
        lock (gate)
        {
            return (uint)tag < FixedCount ? fixedTags[tag] : null;
        }
    }

    /// <summary>Sets a fixed tag (0–7), returning the tag it replaced (so a reverse tag's socket can be closed).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The tag's number is not 0–7.</exception>
    public IpTag? SetFixed(IpTag tag)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)tag.Number, (uint)FixedCount, nameof(tag));
        lock (gate)
        {
            var old = fixedTags[tag.Number];
            fixedTags[tag.Number] = tag;
            return old;
        }
    }

    /// <summary>The lowest free fixed tag above 0 (0 belongs to the host), or −1.</summary>
    public int FindFreeFixed()
    {
        lock (gate)
        {
            for (var i = 1; i < FixedCount; i++)
            {
                if (fixedTags[i] is null)
                {
                    return i;
                }
            }

            return -1;
        }
    }

    /// <summary>Frees a tag (0–15); returns the fixed tag that was there, or null.</summary>
    public IpTag? Clear(int tag)
    {
        lock (gate)
        {
            if ((uint)tag < FixedCount)
            {
                var old = fixedTags[tag];
                fixedTags[tag] = null;
                return old;
            }

            if ((uint)tag < Size)
            {
                pool[tag - FixedCount].InUse = false;
            }

            return null;
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
    /// Takes a transient tag for a reply to <paramref name="requester"/> (copied, not kept); −1 when the pool is
    /// exhausted. Lapsed tags (older than their timeout) are reclaimed first. Never allocates.
    /// </summary>
    public int AllocateTransient(SocketAddress requester, long nowTicks)
    {
        lock (gate)
        {
            var free = -1;
            for (var i = 0; i < PoolCount; i++)
            {
                var t = pool[i];
                if (t.InUse && t.ExpiresAtTicks <= nowTicks)
                {
                    t.InUse = false;
                }

                if (!t.InUse && free < 0)
                {
                    free = i;
                }
            }

            if (free < 0)
            {
                return -1;
            }

            var slot = pool[free];
            slot.InUse = true;
            slot.AllocatedAtTicks = nowTicks;
            slot.TimeoutCode = TransientTimeoutCode;
            slot.ExpiresAtTicks = nowTicks + TransientLifetimeTicks(TransientTimeoutCode);
            SocketAddresses.Copy(requester, slot.Requester);
            return FixedCount + free;
        }
    }

    /// <summary>
    /// Frees a transient tag once its one reply has been sent; <paramref name="allocatedAtTicks"/> is the time given
    /// to <see cref="AllocateTransient"/>, so a tag that lapsed and now carries another request's reply is left
    /// alone. Ignores fixed tags.
    /// </summary>
    public void ReleaseTransient(int tag, long allocatedAtTicks)
    {
        if (tag is >= FixedCount and < Size)
        {
            lock (gate)
            {
                var slot = pool[tag - FixedCount];
                if (slot.AllocatedAtTicks == allocatedAtTicks)
                {
                    slot.InUse = false;
                }
            }
        }
    }

    /// <summary>
    /// The table entry as IPTAG GET reports it (a free tag is all zeros, without <see cref="ScpIpTagFlags.Valid"/>);
    /// false for a tag outside 0–15.
    /// </summary>
    public bool TryDescribe(int tag, out ScpIpTagEntry entry)
    {
        entry = default;
        if ((uint)tag >= Size)
        {
            return false;
        }

        IPEndPoint? destination;
        ScpIpTagFlags flags;
        int code;
        lock (gate)
        {
            if (tag < FixedCount)
            {
                if (fixedTags[tag] is not { } t)
                {
                    return true;
                }

                entry = Describe(t);
                return true;
            }

            var slot = pool[tag - FixedCount];
            if (!slot.InUse)
            {
                return true;
            }

            destination = SocketAddresses.ToEndPoint(slot.Requester);
            flags = ScpIpTagFlags.Valid | ScpIpTagFlags.Transient;
            code = slot.TimeoutCode;
        }

        entry = new ScpIpTagEntry(
            EncodeIPv4(destination.Address), 0, (ushort)destination.Port, TimeoutTicks(code),
            flags | (ScpIpTagFlags)(byte)TimeoutTicks(code), 0, 0, 0, 0);
        return true;
    }

    /// <summary>Frees every tag and restores the default timeout code.</summary>
    public void Reset()
    {
        lock (gate)
        {
            Array.Clear(fixedTags);
            foreach (var t in pool)
            {
                t.InUse = false;
            }

            TransientTimeoutCode = DefaultTimeoutCode;
        }
    }

    /// <summary>10 ms × 2^(code−1), in <see cref="Stopwatch"/> ticks; code 0 means "no timeout".</summary>
    public static long TransientLifetimeTicks(int code) =>
        code == 0 ? long.MaxValue / 2 : (long)(Stopwatch.Frequency * 0.010 * (1L << (code - 1)));

    private static ScpIpTagEntry Describe(IpTag t)
    {
        var flags = ScpIpTagFlags.Valid;
        flags |= t.Strip ? ScpIpTagFlags.Strip : 0;
        flags |= t.Reverse ? ScpIpTagFlags.Reverse : 0;
        flags |= t.UseSender ? ScpIpTagFlags.UseSender : 0;
        var ticks = TimeoutTicks(t.TimeoutCode);
        var destination = t.Destination;
        return new ScpIpTagEntry(
            destination is null ? 0 : EncodeIPv4(destination.Address),
            0,
            (ushort)(destination?.Port ?? 0),
            ticks,
            flags | (ScpIpTagFlags)(byte)ticks,
            (uint)t.Count,
            (ushort)t.ReceivePort,
            (ushort)((t.DestX << 8) | t.DestY),
            t.DestPortCpu);
    }

    /// <summary>A timeout code as 10 ms ticks: 0 for none, else 2^(code−1).</summary>
    private static ushort TimeoutTicks(int code) => code == 0 ? (ushort)0 : (ushort)(1 << (code - 1));

    private static uint EncodeIPv4(IPAddress address) => IPv4Word.TryEncode(address, out var value) ? value : 0;

    /// <summary>One slot of the transient pool, reused for every reply (its address buffer too).</summary>
    private sealed class TransientTag
    {
        public bool InUse;
        public int TimeoutCode;
        public long AllocatedAtTicks;
        public long ExpiresAtTicks;
        public readonly SocketAddress Requester = SocketAddresses.NewBuffer();
    }
}
