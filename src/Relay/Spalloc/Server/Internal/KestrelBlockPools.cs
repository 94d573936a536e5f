#if NET10_0_OR_GREATER
using System.Buffers;
using Microsoft.AspNetCore.Connections;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>
/// Kestrel's buffers for the Spalloc server: one <see cref="PipeBlockPool"/> of 4 KiB blocks per pool Kestrel asks
/// for, with enough blocks made at start for a websocket whose input pipe fills to Kestrel's request buffer limit
/// (1 MiB, when the client sends faster than the proxy forwards) plus its output pipe. Kestrel's own pool makes those
/// blocks the first time a client falls behind, and from .NET 10 also gives idle blocks back and makes them again
/// later, so a busy proxy kept allocating; with these pools it allocates nothing after its start (beyond the limit
/// a pool makes a block and keeps it). .NET 10 only: before it Kestrel's pool cannot be replaced.
/// </summary>
internal sealed class KestrelBlockPools : IMemoryPoolFactory<byte>
{
    /// <summary>Kestrel's block size.</summary>
    public const int BlockBytes = 4096;

    /// <summary>Blocks made per pool: a full 1 MiB input pipe, a 64 KiB output pipe, and as much again for a second websocket's output.</summary>
    public const int Blocks = ((1 << 20) + (2 * 64 << 10)) / BlockBytes;

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new PipeBlockPool(BlockBytes, Blocks);
}
#endif
