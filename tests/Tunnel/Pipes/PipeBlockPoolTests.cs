using System.Buffers;
using FastSpinnRelay.Tunnel.Transport;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Tunnel.Tests.Pipes;

/// <summary>The connection's own pipe buffers: made up front, reused without allocating, grown only past the count made.</summary>
public class PipeBlockPoolTests
{
    [Fact]
    public void Renting_and_returning_allocates_nothing_however_often()
    {
        var pool = new PipeBlockPool(1024, 3);
        Cycle(pool, 10); // warm up the code path
        Allocations.AssertNone(() => Cycle(pool, 10));
        Allocations.AssertNone(() => Cycle(pool, 10_000));
        Assert.Equal(3, pool.BlocksCreated);
        Assert.Equal(3, pool.FreeBlocks);
    }

    [Fact]
    public void A_block_beyond_those_made_is_made_once_and_kept()
    {
        var pool = new PipeBlockPool(512, 2);
        IMemoryOwner<byte>[] held = [pool.Rent(), pool.Rent(), pool.Rent()];
        Assert.Equal(3, pool.BlocksCreated);
        foreach (IMemoryOwner<byte> block in held)
        {
            Assert.Equal(512, block.Memory.Length);
            block.Dispose();
        }

        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                IMemoryOwner<byte> a = pool.Rent(), b = pool.Rent(), c = pool.Rent();
                a.Dispose();
                b.Dispose();
                c.Dispose();
            }
        });
        Assert.Equal(3, pool.BlocksCreated);
    }

    [Fact]
    public void A_block_disposed_twice_goes_back_once()
    {
        var pool = new PipeBlockPool(64, 1);
        IMemoryOwner<byte> block = pool.Rent();
        block.Dispose();
        block.Dispose();
        Assert.Equal(1, pool.FreeBlocks);
        IMemoryOwner<byte> first = pool.Rent();
        IMemoryOwner<byte> second = pool.Rent();
        Assert.NotSame(first, second);
        Assert.Equal(2, pool.BlocksCreated);
    }

    [Fact]
    public void A_request_above_the_block_size_is_refused()
    {
        var pool = new PipeBlockPool(64, 1);
        Assert.Equal(64, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(65));
    }

    private static void Cycle(PipeBlockPool pool, int times)
    {
        for (int i = 0; i < times; i++)
        {
            IMemoryOwner<byte> a = pool.Rent(100);
            IMemoryOwner<byte> b = pool.Rent();
            a.Memory.Span[0] = 1;
            b.Dispose();
            a.Dispose();
        }
    }
}
