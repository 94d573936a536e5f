using System.Buffers.Binary;
using FastSpinnRelay.Relay.Emulator.Internal;

namespace FastSpinnRelay.Relay.Bench;

/// <summary>
/// The stamp `relay bench` puts at the start of every one-way datagram: an 8-byte send time
/// (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> ticks, little-endian) and a 4-byte sequence number,
/// followed by filler up to the datagram size. The sink reads it back for one-way latency and for loss,
/// duplication and reordering. Stopwatch ticks are CLOCK_MONOTONIC on Linux, so the stamp is comparable between
/// processes on one machine. A stream that plays a board's live output (<see cref="WriteSpikeKeys"/>) carries, after
/// the stamp, 32-bit neuron keys as the emulator's spike source emits them, so it compresses like real spikes.
/// </summary>
public static class BenchPayload
{
    /// <summary>Bytes the stamp takes: the smallest datagram the bench can send.</summary>
    public const int StampLength = 12;

    private const int SequenceOffset = 8;

    /// <summary>Fills <paramref name="datagram"/> with the bench's recognisable filler (bytes after the stamp).</summary>
    public static void Fill(Span<byte> datagram)
    {
        for (var i = 0; i < datagram.Length; i++)
        {
            datagram[i] = (byte)(0xA5 ^ i);
        }
    }

    /// <summary>Neurons of the population <see cref="WriteSpikeKeys"/> fires in turn: the emulator's default.</summary>
    public const int SpikePopulation = 1024;

    /// <summary>
    /// Writes the neuron keys of packet <paramref name="sequence"/> after the stamp: as many whole little-endian 32-bit
    /// keys as fit, <c>base | ((sequence·k + i) mod 1024)</c> as the emulator's live output (k keys per packet),
    /// leaving any last 1–3 bytes as they were. Nothing is written into a datagram too short for the stamp.
    /// </summary>
    public static void WriteSpikeKeys(Span<byte> datagram, uint sequence)
    {
        if (datagram.Length < StampLength)
        {
            return;
        }

        var keys = datagram[StampLength..];
        var perPacket = keys.Length / sizeof(uint);
        for (var i = 0; i < perPacket; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(keys[(i * sizeof(uint))..], SpikeSource.NeuronKey(sequence, perPacket, i, SpikePopulation));
        }
    }

    /// <summary>Writes the stamp into the first 12 bytes. Returns false when the datagram is shorter.</summary>
    public static bool TryStamp(Span<byte> datagram, long timestamp, uint sequence)
    {
        if (datagram.Length < StampLength)
        {
            return false;
        }

        BinaryPrimitives.WriteInt64LittleEndian(datagram, timestamp);
        BinaryPrimitives.WriteUInt32LittleEndian(datagram[SequenceOffset..], sequence);
        return true;
    }

    /// <summary>Reads the stamp. Returns false (and zeros) when the datagram is shorter than 12 bytes.</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out long timestamp, out uint sequence)
    {
        if (datagram.Length < StampLength)
        {
            timestamp = 0;
            sequence = 0;
            return false;
        }

        timestamp = BinaryPrimitives.ReadInt64LittleEndian(datagram);
        sequence = BinaryPrimitives.ReadUInt32LittleEndian(datagram[SequenceOffset..]);
        return true;
    }
}
