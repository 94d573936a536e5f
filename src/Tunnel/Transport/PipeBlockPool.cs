using System.Buffers;

namespace FastSpinnRelay.Tunnel.Transport;

/// <summary>
/// Buffers for pipes that must not allocate once running: fixed-size blocks, all made up front, handed out and taken
/// back under a lock (a tunnel connection makes its own; the Spalloc server gives Kestrel one). The shared array pool
/// would do the same job but grows under load: a block parked in the cache of a thread that stopped renting is
/// invisible to the others, so a new pool thread allocates a fresh array. With blocks of its own a busy connection
/// allocates nothing after its start. If the pipes ever hold more blocks than were made up front, a new one is made
/// and kept (<see cref="BlocksCreated"/> counts them).
/// </summary>
/// <remarks>
/// Pipes ask for at most <see cref="MemoryPool{T}.MaxBufferSize"/>; a larger request (a frame above the block size,
/// possible only with a <see cref="TunnelOptions.MaxBodyLength"/> above the default) goes to the shared array pool
/// instead, which the pipes do themselves.
/// </remarks>
public sealed class PipeBlockPool : MemoryPool<byte>
{
    private readonly Lock _gate = new();
    private readonly int _blockBytes;
    private readonly bool _pinned;
    private Block[] _free;
    private int _freeCount;
    private int _created;

    /// <param name="blockBytes">Bytes of every block.</param>
    /// <param name="blocks">Blocks made now (the most the connection's pipes hold at once).</param>
    /// <param name="pinned">Make the blocks on the pinned object heap (long-lived I/O buffers, out of generation 0's budget).</param>
    public PipeBlockPool(int blockBytes, int blocks, bool pinned = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, 1);
        _blockBytes = blockBytes;
        _pinned = pinned;
        _free = new Block[blocks];
        for (int i = 0; i < blocks; i++)
        {
            _free[i] = new Block(this, blockBytes, pinned);
        }

        _freeCount = _created = blocks;
    }

    /// <inheritdoc/>
    public override int MaxBufferSize => _blockBytes;

    /// <summary>Blocks made so far, up front and later (more than up front: the pipes held more than expected).</summary>
    public int BlocksCreated => Volatile.Read(ref _created);

    /// <summary>Blocks waiting to be rented.</summary>
    public int FreeBlocks
    {
        get
        {
            lock (_gate)
            {
                return _freeCount;
            }
        }
    }

    /// <summary>A whole block, whatever <paramref name="minBufferSize"/> (up to <see cref="MaxBufferSize"/>) asks for.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minBufferSize"/> is above <see cref="MaxBufferSize"/>.</exception>
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, _blockBytes);
        Block block;
        lock (_gate)
        {
            if (_freeCount == 0)
            {
                _created++;
                return new Block(this, _blockBytes, _pinned) { Rented = true };
            }

            block = _free[--_freeCount];
            _free[_freeCount] = null!;
            block.Rented = true;
        }

        return block;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        // Nothing to release: the blocks are ordinary arrays, collected with the connection.
    }

    private void Return(Block block)
    {
        lock (_gate)
        {
            if (!block.Rented)
            {
                return; // disposed twice: keep it out of the free list once
            }

            block.Rented = false;
            if (_freeCount == _free.Length)
            {
                Array.Resize(ref _free, _free.Length * 2);
            }

            _free[_freeCount++] = block;
        }
    }

    private sealed class Block(PipeBlockPool owner, int bytes, bool pinned) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(bytes, pinned);

        /// <summary>Out of the pool (guarded by the pool's lock).</summary>
        public bool Rented { get; set; }

        public Memory<byte> Memory => _array;

        public void Dispose() => owner.Return(this);
    }
}
