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
        double saving = StreamSaving(keysPerPacket: 64);
        output.WriteLine($"spike stream (64 keys/packet, population 1000): {saving:P1} saved");
        Assert.True(saving >= 0.30, $"saving {saving:P1}");
    }

    /// <summary>
    /// Short packets (5 keys, 22 B, near the bench's 24-byte EIEIO stream), where every record costs the compressor a
    /// sequence or two: <see cref="Lz4.Acceleration"/> must still keep the saving at 40 % or more.
    /// </summary>
    [Fact]
    public void A_stream_of_short_spike_packets_compresses_by_at_least_40_percent()
    {
        double saving = StreamSaving(keysPerPacket: 5);
        output.WriteLine($"spike stream (5 keys/packet, population 1000), acceleration {Lz4.Acceleration}: {saving:P1} saved");
        Assert.True(saving >= 0.40, $"saving {saving:P1}");
    }

    /// <summary>Share of the bytes LZ4 saves on 200 BATCH frames of 16 KiB (MaxBatchBytes) of spike packets, headers included.</summary>
    private static double StreamSaving(int keysPerPacket)
    {
        long raw = 0;
        long compressed = 0;
        int packetsPerBatch = 16 * 1024 / (TunnelBatchRecords.RecordHeaderLength + 2 + (4 * keysPerPacket));
        var block = new byte[16 * 1024];
        for (int batch = 0; batch < 200; batch++)
        {
            byte[] records = SpikeBatch(batch * packetsPerBatch, packetsPerBatch, keysPerPacket);
            int length = Lz4.TryCompress(records, block.AsSpan(0, records.Length - 1));
            raw += TunnelFrameHeader.Length + records.Length;
            compressed += length > 0 ? TunnelBatchFrame.CompressedHeaderLength + length : TunnelFrameHeader.Length + records.Length;
        }

        return 1 - ((double)compressed / raw);
    }

    private static byte[] SpikeBatch(int firstSequence, int packets, int keysPerPacket = 64)
    {
        var records = new List<byte>();
        var record = new byte[300];
        for (int i = 0; i < packets; i++)
        {
            TunnelBatchRecords.TryWrite(record, 2, SpikeStream.Packet(firstSequence + i, keysPerPacket, population: 1000), out int written);
            records.AddRange(record.AsSpan(0, written).ToArray());
        }

        return [.. records];
    }
}
