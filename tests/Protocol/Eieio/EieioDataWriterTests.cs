using FastSpinnRelay.Protocol.Eieio;

namespace FastSpinnRelay.Protocol.Tests.Eieio;

public class EieioDataWriterTests
{
    public static TheoryData<EieioType, int, bool, byte, bool> Formats()
    {
        var data = new TheoryData<EieioType, int, bool, byte, bool>();
        foreach (EieioType type in Enum.GetValues<EieioType>())
        {
            for (int prefix = 0; prefix < 3; prefix++) // 0 = none, 1 = lower half, 2 = upper half
            {
                foreach (bool payloadBase in new[] { false, true })
                {
                    foreach (byte tag in new byte[] { 0, 3 })
                    {
                        foreach (bool timestamp in new[] { false, true })
                        {
                            data.Add(type, prefix, payloadBase, tag, timestamp);
                        }
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Every_type_and_flag_combination_round_trips(EieioType type, int prefix, bool payloadBase, byte tag, bool timestamp)
    {
        bool wide = type is EieioType.Key32 or EieioType.Key32Payload32;
        bool perElementPayload = type is EieioType.Key16Payload16 or EieioType.Key32Payload32;
        uint mask = wide ? uint.MaxValue : ushort.MaxValue;
        var format = new EieioDataFormat(type)
        {
            Tag = tag,
            KeyPrefix = prefix == 0 ? null : (ushort)0xA5C3,
            PrefixInUpperHalf = prefix == 2,
            PayloadBase = payloadBase ? 0x8001_4000u & mask : null,
            PayloadIsTimestamp = timestamp,
        };
        var rng = new Random(1234 + (int)type);

        foreach (int count in new[] { 0, 1, 7, 255 })
        {
            var keys = new uint[count];
            var payloads = new uint[count];
            var buffer = new byte[format.HeaderLength + (count * format.ElementSize)];
            Assert.True(EieioDataWriter.TryCreate(buffer, format, out EieioDataWriter writer));
            for (int i = 0; i < count; i++)
            {
                keys[i] = (uint)rng.NextInt64() & mask;
                payloads[i] = perElementPayload ? (uint)rng.NextInt64() & mask : 0;
                Assert.True(perElementPayload ? writer.TryAdd(keys[i], payloads[i]) : writer.TryAddKey(keys[i]));
            }

            Assert.Equal(buffer.Length, writer.Length);
            Assert.Equal(EieioDataError.None, EieioDataPacket.TryRead(buffer, out EieioDataPacket packet));
            Assert.Equal(format, packet.Format);
            Assert.Equal(count, packet.Count);
            uint appliedPrefix = prefix == 0 ? 0 : prefix == 1 ? 0xA5C3u : 0xA5C3_0000u;
            for (int i = 0; i < count; i++)
            {
                Assert.Equal(keys[i], packet.GetRawKey(i));
                Assert.Equal(payloads[i], packet.GetRawPayload(i));
                Assert.Equal(keys[i] | appliedPrefix, packet.GetKey(i));
                Assert.Equal(payloads[i] | (format.PayloadBase ?? 0), packet.GetPayload(i));
            }
        }
    }

    [Fact]
    public void Destination_shorter_than_the_header_fails_without_throwing()
    {
        var format = new EieioDataFormat(EieioType.Key32) { KeyPrefix = 1, PayloadBase = 2 }; // 2 + 2 + 4 bytes

        Assert.False(EieioDataWriter.TryCreate(new byte[7], format, out _));
        Assert.True(EieioDataWriter.TryCreate(new byte[8], format, out EieioDataWriter writer));
        Assert.False(writer.TryAddKey(1)); // no room for an element
        Assert.Equal(8, writer.Length);
    }

    [Fact]
    public void Elements_stop_when_the_destination_is_full()
    {
        var buffer = new byte[2 + (3 * 4) + 3];
        Assert.True(EieioDataWriter.TryCreate(buffer, new EieioDataFormat(EieioType.Key16Payload16), out EieioDataWriter writer));

        Assert.True(writer.TryAdd(1, 2));
        Assert.True(writer.TryAdd(3, 4));
        Assert.True(writer.TryAdd(5, 6));
        Assert.False(writer.TryAdd(7, 8));
        Assert.Equal(3, writer.Count);
        Assert.Equal(EieioDataError.None, EieioDataPacket.TryRead(writer.WrittenSpan, out _));
    }

    [Fact]
    public void Caller_bugs_throw()
    {
        var buffer = new byte[16];

        Assert.Throws<InvalidOperationException>(() => Create(buffer, EieioType.Key16).TryAdd(1, 2));
        Assert.Throws<InvalidOperationException>(() => Create(buffer, EieioType.Key32Payload32).TryAddKey(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Create(buffer, EieioType.Key16).TryAddKey(0x10000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Create(buffer, EieioType.Key16Payload16).TryAdd(1, 0x10000));
        Assert.Throws<ArgumentOutOfRangeException>(() => EieioDataWriter.TryCreate(buffer, new EieioDataFormat(EieioType.Key16) { Tag = 4 }, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => EieioDataWriter.TryCreate(buffer, new EieioDataFormat((EieioType)4), out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => EieioDataWriter.TryCreate(buffer, new EieioDataFormat(EieioType.Key16) { PayloadBase = 0x10000 }, out _));
        Assert.Throws<ArgumentException>(() => EieioDataWriter.TryCreate(buffer, new EieioDataFormat(EieioType.Key16) { PrefixInUpperHalf = true }, out _));

        static EieioDataWriter Create(byte[] destination, EieioType type)
        {
            Assert.True(EieioDataWriter.TryCreate(destination, new EieioDataFormat(type), out EieioDataWriter writer));
            return writer;
        }
    }
}
