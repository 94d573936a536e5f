using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastSpinnRelay.Tunnel.Legacy.Internal;

namespace FastSpinnRelay.Tunnel.Legacy;

/// <summary>
/// Frames for a spinnaker_proxy TCP stream that are written from where their datagrams lie: each
/// <see cref="TryAdd"/> writes the 4-byte big-endian length into this object's own memory and records two iovecs
/// (the length, then the datagram in place), so <see cref="LegacyStreamConnection.TryWriteInPlace"/> writes them with
/// one gathering send and the datagrams are never copied in user space (unless the socket takes only part of them:
/// then the rest is copied once, to finish from the socket's completions).
/// </summary>
/// <remarks>
/// <para>
/// The datagrams must be in pinned memory (a UDP receive batch, a pinned array, native memory) and stay unchanged
/// until the write call that takes them returns. The gather only holds addresses: after <see cref="Clear"/> or a
/// write it holds nothing.
/// </para>
/// <para>Threading: one thread at a time. Memory: 36 bytes per frame of <see cref="Capacity"/>, pinned, allocated once.</para>
/// </remarks>
public sealed unsafe class FrameGather
{
    /// <summary>Default and largest <see cref="Capacity"/>: 512 frames (two iovecs each, the kernel's limit is 1024).</summary>
    public const int MaxCapacity = 512;

    private readonly byte[] _block;
    private readonly byte* _lengths;
    private readonly GatherSend.IoVec* _iovecs;

    /// <param name="capacity">Frames held at most, 1 to <see cref="MaxCapacity"/>.</param>
    public FrameGather(int capacity = MaxCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        Capacity = capacity;
        var iovecBytes = 2 * capacity * sizeof(GatherSend.IoVec);
        _block = GC.AllocateArray<byte>(iovecBytes + (4 * capacity) + 16, pinned: true);
        var start = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_block));
        var aligned = (byte*)(((nint)start + 15) & ~(nint)15);
        _iovecs = (GatherSend.IoVec*)aligned;
        _lengths = aligned + iovecBytes;
    }

    /// <summary>Frames held at most.</summary>
    public int Capacity { get; }

    /// <summary>Frames recorded.</summary>
    public int Count { get; private set; }

    /// <summary>True when nothing waits.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>Bytes the frames take on the stream (length prefixes included).</summary>
    public int Bytes { get; private set; }

    /// <summary>Records <paramref name="datagram"/> as the next frame (see the type's remarks for what its memory must be). False when full.</summary>
    public bool TryAdd(ReadOnlySpan<byte> datagram)
    {
        if (Count == Capacity)
        {
            return false;
        }

        var length = _lengths + (4 * Count);
        BinaryPrimitives.WriteUInt32BigEndian(new Span<byte>(length, 4), (uint)datagram.Length);
        ref var prefix = ref _iovecs[2 * Count];
        prefix.Base = length;
        prefix.Length = 4;
        fixed (byte* bytes = datagram)
        {
            // Pinned by contract, so the address outlives this fixed block.
            ref var payload = ref _iovecs[(2 * Count) + 1];
            payload.Base = bytes;
            payload.Length = (nuint)datagram.Length;
        }

        Count++;
        Bytes += 4 + datagram.Length;
        return true;
    }

    /// <summary>Forgets every recorded frame.</summary>
    public void Clear()
    {
        Count = 0;
        Bytes = 0;
    }

    internal GatherSend.IoVec* Iovecs => _iovecs;

    internal int IovecCount => 2 * Count;

    /// <summary>Copies the frames' bytes from offset <paramref name="skip"/> (what a partial write took) to the end into <paramref name="destination"/>.</summary>
    internal int CopyFrom(long skip, Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < IovecCount; i++)
        {
            var length = (long)_iovecs[i].Length;
            if (skip >= length)
            {
                skip -= length;
                continue;
            }

            var part = new ReadOnlySpan<byte>(_iovecs[i].Base + skip, (int)(length - skip));
            part.CopyTo(destination[written..]);
            written += part.Length;
            skip = 0;
        }

        return written;
    }

    /// <summary>Keeps the pinned block reachable until a native call that uses its pointers has returned.</summary>
    internal void KeepAlive() => GC.KeepAlive(_block);
}
