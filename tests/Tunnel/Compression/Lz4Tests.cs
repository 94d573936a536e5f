using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Compression;
using FastSpinnRelay.Tunnel.Tests.TestSupport;
using Xunit.Abstractions;

namespace FastSpinnRelay.Tunnel.Tests.Compression;

public class Lz4Tests(ITestOutputHelper output)
{
    [Fact]
    public void Liblz4_is_loaded_through_the_resolver() => Assert.True(Lz4.IsAvailable, "liblz4.so.1 (Debian liblz4-1) must be installed: ./setup.sh");

    [Fact]
    public void A_block_round_trips_and_incompressible_data_is_refused()
    {
        byte[] records = SpikeBatch(0, 60);
        var block = new byte[Lz4.CompressBound(records.Length)];
        int length = Lz4.TryCompress(records, block);
        Assert.InRange(length, 1, records.Length - 1);

        var back = new byte[records.Length];
        Assert.Equal(records.Length, Lz4.TryDecompress(block.AsSpan(0, length), back));
        Assert.Equal(records, back);

        byte[] noise = new byte[4096];
        new Random(1).NextBytes(noise);
        Assert.Equal(0, Lz4.TryCompress(noise, new byte[noise.Length - 1])); // would not be smaller
    }

    [Fact]
    public void Malformed_blocks_never_write_outside_the_destination()
    {
        var rng = new Random(2);
        var destination = new byte[600];
        for (int i = 0; i < 100_000; i++)
        {
            byte[] block = new byte[rng.Next(1, 80)];
            rng.NextBytes(block);
            int written = Lz4.TryDecompress(block, destination.AsSpan(0, 512));
            Assert.InRange(written, -1, 512);
            Assert.True(destination.AsSpan(512).IndexOfAnyExcept((byte)0) < 0);
        }
    }

    /// <summary>The saving on a realistic live-output stream: batches of 16 KiB of 64-key spike packets (target: at least 30 %).</summary>
    [Fact]
    public void A_spike_stream_compresses_by_at_least_30_percent()
    {
        long raw = 0;
        long compressed = 0;
        const int PacketsPerBatch = 16 * 1024 / 262; // what fits in MaxBatchBytes: 62 records of 4 + 258 bytes
        var block = new byte[16 * 1024];
        for (int batch = 0; batch < 200; batch++)
        {
            byte[] records = SpikeBatch(batch * PacketsPerBatch, PacketsPerBatch);
            int length = Lz4.TryCompress(records, block.AsSpan(0, records.Length - 1));
            raw += TunnelFrameHeader.Length + records.Length;
            compressed += length > 0 ? TunnelBatchFrame.CompressedHeaderLength + length : TunnelFrameHeader.Length + records.Length;
        }

        double saving = 1 - ((double)compressed / raw);
        output.WriteLine($"spike stream (64 keys/packet, population 1000): {raw} B as plain batches, {compressed} B compressed: {saving:P1} saved");
        Assert.True(saving >= 0.30, $"saving {saving:P1}");
    }

    private static byte[] SpikeBatch(int firstSequence, int packets)
    {
        var records = new List<byte>();
        var record = new byte[300];
        for (int i = 0; i < packets; i++)
        {
            TunnelBatchRecords.TryWrite(record, 2, SpikeStream.Packet(firstSequence + i, keysPerPacket: 64, population: 1000), out int written);
            records.AddRange(record.AsSpan(0, written).ToArray());
        }

        return [.. records];
    }
}
