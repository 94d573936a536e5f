using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>
/// A byte array on the pinned object heap whose usable part starts on a 64-byte boundary (a cache line), for the
/// headers, iovecs and payload slots native batch calls read and write. Nothing to free: the array lives as long as
/// its owner holds it (keep it reachable across native calls with <see cref="GC.KeepAlive"/>).
/// </summary>
internal static unsafe class PinnedBlock
{
    /// <summary>The alignment of the usable part and of the regions <see cref="AlignUp"/> sizes.</summary>
    public const int Alignment = 64;

    /// <summary>Allocates <paramref name="bytes"/> usable bytes (unzeroed when <paramref name="uninitialized"/>); <paramref name="aligned"/> is their start.</summary>
    public static byte[] Allocate(int bytes, bool uninitialized, out byte* aligned)
    {
        var block = uninitialized
            ? GC.AllocateUninitializedArray<byte>(Alignment + bytes, pinned: true)
            : GC.AllocateArray<byte>(Alignment + bytes, pinned: true);
        var start = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(block));
        aligned = (byte*)((start + Alignment - 1) & ~(nint)(Alignment - 1));
        return block;
    }

    /// <summary><paramref name="value"/> rounded up to a multiple of <see cref="Alignment"/>.</summary>
    public static int AlignUp(int value) => (value + Alignment - 1) & ~(Alignment - 1);
}
