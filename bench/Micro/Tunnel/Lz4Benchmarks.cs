using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Bench.Protocol;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Compression;

namespace FastSpinnRelay.Bench.Tunnel;

/// <summary>
/// LZ4 alone on what the tunnel's send loop compresses at full rate: 16 KiB batches (MaxBatchBytes) of 24-byte
/// datagrams shaped like `relay bench`'s live-output stream (an 8-byte time stamp shared by a burst of 64, a 4-byte
/// sequence number, three 32-bit neuron keys). Times are per record (datagram), so they compare with the tunnel's
/// CPU per datagram; 0 B allocated.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class Lz4Benchmarks
{
    private const int DatagramLength = 24;
    private const int RecordLength = 4 + DatagramLength;
    private const int Records = 16 * 1024 / RecordLength;
    private const int Batches = 16;

    private readonly byte[] _batches = new byte[Batches * Records * RecordLength];
    private readonly byte[] _blocks = new byte[Batches * 16 * 1024];
    private readonly int[] _blockLengths = new int[Batches];
    private readonly byte[] _output = new byte[16 * 1024];

    [GlobalSetup]
    public void Setup()
    {
        long stamp = 0x0000_1234_5678_9000;
        for (uint sequence = 0; sequence < Batches * Records; sequence++)
        {
            if (sequence % 64 == 0)
            {
                stamp += 9_000 + (sequence % 7 * 131);
            }

            Span<byte> record = _batches.AsSpan((int)sequence * RecordLength, RecordLength);
            SetupCheck.That(TunnelBatchRecords.TryWrite(record, 1, BenchDatagram(stamp, sequence), out _));
        }

        SetupCheck.That(Compress() > 0);
        long raw = 0;
        long compressed = 0;
        for (int i = 0; i < Batches; i++)
        {
            raw += Records * RecordLength;
            compressed += _blockLengths[i];
        }

        SetupCheck.That(compressed < raw * 6 / 10); // at least 40 % saved
        SetupCheck.That(Decompress() == Batches * Records * RecordLength);
    }

    /// <summary>One 16 KiB batch compressed per <see cref="Records"/> operations, as the send loop does (acceleration <see cref="Lz4.Acceleration"/>).</summary>
    [Benchmark(OperationsPerInvoke = Batches * Records)]
    public int Compress()
    {
        int total = 0;
        for (int i = 0; i < Batches; i++)
        {
            ReadOnlySpan<byte> batch = _batches.AsSpan(i * Records * RecordLength, Records * RecordLength);
            int length = Lz4.TryCompress(batch, _blocks.AsSpan(i * 16 * 1024, batch.Length - 1));
            _blockLengths[i] = length;
            total += length;
        }

        return total;
    }

    /// <summary>The client's side: one block decompressed per <see cref="Records"/> operations.</summary>
    [Benchmark(OperationsPerInvoke = Batches * Records)]
    public int Decompress()
    {
        int total = 0;
        for (int i = 0; i < Batches; i++)
        {
            total += Lz4.TryDecompress(_blocks.AsSpan(i * 16 * 1024, _blockLengths[i]), _output.AsSpan(0, Records * RecordLength));
        }

        return total;
    }

    private static byte[] BenchDatagram(long stamp, uint sequence)
    {
        var datagram = new byte[DatagramLength];
        BinaryPrimitives.WriteInt64LittleEndian(datagram, stamp);
        BinaryPrimitives.WriteUInt32LittleEndian(datagram.AsSpan(8), sequence);
        for (int i = 0; i < 3; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(datagram.AsSpan(12 + (4 * i)), 0x0100_0000u | (uint)(((sequence * 3) + i) % 1024));
        }

        return datagram;
    }
}
