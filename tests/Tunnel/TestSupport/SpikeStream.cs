using System.Buffers.Binary;

namespace FastSpinnRelay.Tunnel.Tests.TestSupport;

/// <summary>
/// A realistic live-output stream: EIEIO data packets of 32-bit keys (type 2), the first key the packet's sequence
/// number, then <c>base | ((seq × (k − 1) + i) mod population)</c>, as a population spiking in turn produces.
/// </summary>
internal static class SpikeStream
{
    public const uint KeyBase = 0x0A000000;

    public static byte[] Packet(int sequence, int keysPerPacket, int population)
    {
        var packet = new byte[2 + (4 * keysPerPacket)];
        packet[0] = (byte)keysPerPacket; // count
        packet[1] = 0x08;                 // type 2: 32-bit keys, no prefix, no payload
        BinaryPrimitives.WriteInt32LittleEndian(packet.AsSpan(2), sequence);
        for (int i = 1; i < keysPerPacket; i++)
        {
            uint neuron = (uint)((((long)sequence * (keysPerPacket - 1)) + i) % population);
            BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(2 + (4 * i)), KeyBase | neuron);
        }

        return packet;
    }
}
