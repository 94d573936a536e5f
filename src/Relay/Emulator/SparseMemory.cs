namespace FastSpinnRelay.Relay.Emulator;

/// <summary>
/// The emulated board's memory: a sparse 32-bit address space in 4 KiB pages, allocated on first write.
/// Unwritten memory reads as zero. Not thread-safe: the SCP worker is its only user.
/// </summary>
public sealed class SparseMemory
{
    private const int PageShift = 12;
    private const int PageSize = 1 << PageShift;
    private const uint OffsetMask = PageSize - 1;

    private readonly Dictionary<uint, byte[]> pages = [];

    /// <summary>Cap on pages, so a client cannot make the emulator use unbounded memory (default 64 MiB).</summary>
    public int MaxPages { get; init; } = 16 * 1024;

    public int PageCount => pages.Count;

    /// <summary>Copies <paramref name="destination"/>.Length bytes starting at <paramref name="address"/>. Wraps at 4 GiB.</summary>
    public void Read(uint address, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            var offset = (int)(address & OffsetMask);
            var chunk = Math.Min(destination.Length, PageSize - offset);
            if (pages.TryGetValue(address >> PageShift, out var page))
            {
                page.AsSpan(offset, chunk).CopyTo(destination);
            }
            else
            {
                destination[..chunk].Clear();
            }

            destination = destination[chunk..];
            address += (uint)chunk;
        }
    }

    /// <summary>Writes <paramref name="source"/> at <paramref name="address"/>; false (nothing written) if the page cap would be exceeded.</summary>
    public bool Write(uint address, ReadOnlySpan<byte> source)
    {
        if (!CanWrite(address, source.Length))
        {
            return false;
        }

        while (!source.IsEmpty)
        {
            var offset = (int)(address & OffsetMask);
            var chunk = Math.Min(source.Length, PageSize - offset);
            var key = address >> PageShift;
            if (!pages.TryGetValue(key, out var page))
            {
                page = new byte[PageSize];
                pages.Add(key, page);
            }

            source[..chunk].CopyTo(page.AsSpan(offset));
            source = source[chunk..];
            address += (uint)chunk;
        }

        return true;
    }

    public void Clear() => pages.Clear();

    private bool CanWrite(uint address, int length)
    {
        var newPages = 0;
        var first = address >> PageShift;
        var last = (uint)((address + (ulong)Math.Max(length - 1, 0)) >> PageShift) & (uint.MaxValue >> PageShift);
        for (var p = first; ; p = (p + 1) & (uint.MaxValue >> PageShift))
        {
            if (!pages.ContainsKey(p))
            {
                newPages++;
            }

            if (p == last)
            {
                break;
            }
        }

        return pages.Count + newPages <= MaxPages;
    }
}
