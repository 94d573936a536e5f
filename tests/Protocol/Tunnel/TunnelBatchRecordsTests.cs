using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Protocol.Tests.Tunnel;

/// <summary>
/// The record area of a BATCH: <see cref="TunnelBatchRecords.Validate"/> refuses it whole unless every record is whole,
/// on a channel other than 0 and at most 65,507 bytes; the enumerator walks exactly the records it accepted.
/// </summary>
public class TunnelBatchRecordsTests
{
    [Fact]
    public void Whole_records_are_accepted_and_walked_in_order()
    {
        byte[] records = Hex.Bytes("0001 0002 AABB  FFFF 0000  0102 0003 010203");

        Assert.Equal(TunnelFrameError.None, TunnelBatchRecords.Validate(records));
        Assert.Equal([(1, "AABB"), (0xFFFF, ""), (0x0102, "010203")], Walk(records));
    }

    [Theory]
    [InlineData("")] // no record
    [InlineData("00")] // a header cut short
    [InlineData("000100")]
    [InlineData("0001 0002 AA")] // a datagram cut short
    [InlineData("0001 0001 AA 00")] // a second header cut short
    [InlineData("0000 0001 AA")] // channel 0
    [InlineData("0001 0001 AA 0000 0000")] // channel 0 after a good record
    public void A_malformed_area_is_refused(string hex)
    {
        Assert.Equal(TunnelFrameError.BadBatch, TunnelBatchRecords.Validate(Hex.Bytes(hex)));
    }

    [Fact]
    public void A_datagram_above_the_maximum_is_refused_and_the_maximum_accepted()
    {
        var records = new byte[4 + 65_508];
        records[1] = 1;
        records[2] = 0xFF;
        records[3] = 0xE4; // 65,508
        Assert.Equal(TunnelFrameError.BadBatch, TunnelBatchRecords.Validate(records));

        records[3] = 0xE3; // 65,507
        Assert.Equal(TunnelFrameError.None, TunnelBatchRecords.Validate(records.AsSpan(0, 4 + 65_507)));
        Assert.Equal(TunnelFrameError.BadBatch, TunnelBatchRecords.Validate(records)); // one byte left over
    }

    [Fact]
    public void The_walk_stops_at_a_record_cut_short()
    {
        Assert.Equal([(1, "AA")], Walk(Hex.Bytes("0001 0001 AA  0002 0003 BBCC")));
        Assert.Empty(Walk(Hex.Bytes("0001")));
    }

    /// <summary>
    /// 100,000 seeded random areas, mostly near-valid (records whose fields are sometimes broken): no exception, the
    /// verdict of a plain field-by-field reading, and an accepted area walked to its end.
    /// </summary>
    [Fact]
    public void Random_areas_get_the_plain_verdict_and_accepted_ones_walk_to_their_end()
    {
        var random = new Random(7);
        var area = new byte[600];
        for (var round = 0; round < 100_000; round++)
        {
            int length = Build(random, area);
            ReadOnlySpan<byte> records = area.AsSpan(0, length);

            var verdict = TunnelBatchRecords.Validate(records);
            Assert.Equal(PlainVerdict(records), verdict);
            int walked = 0;
            var walk = TunnelBatchRecords.Enumerate(records);
            while (walk.MoveNext())
            {
                walked += TunnelBatchRecords.RecordLength(walk.Datagram.Length);
            }

            if (verdict == TunnelFrameError.None)
            {
                Assert.Equal(length, walked);
            }
        }
    }

    /// <summary>Random bytes, or records with an occasional zero channel, overlong length or cut-off end.</summary>
    private static int Build(Random random, byte[] area)
    {
        if (random.Next(4) == 0)
        {
            int length = random.Next(area.Length);
            random.NextBytes(area.AsSpan(0, length));
            return length;
        }

        int at = 0;
        for (int records = random.Next(1, 8); records > 0 && at + 4 + 64 <= area.Length; records--)
        {
            int datagram = random.Next(65);
            int channel = random.Next(40) == 0 ? 0 : random.Next(1, 65536);
            int announced = random.Next(40) == 0 ? random.Next(65536) : datagram;
            area[at] = (byte)(channel >> 8);
            area[at + 1] = (byte)channel;
            area[at + 2] = (byte)(announced >> 8);
            area[at + 3] = (byte)announced;
            random.NextBytes(area.AsSpan(at + 4, datagram));
            at += 4 + datagram;
        }

        return random.Next(20) == 0 ? random.Next(at + 1) : at;
    }

    private static TunnelFrameError PlainVerdict(ReadOnlySpan<byte> records)
    {
        if (records.IsEmpty)
        {
            return TunnelFrameError.BadBatch;
        }

        int at = 0;
        while (at < records.Length)
        {
            if (records.Length - at < 4)
            {
                return TunnelFrameError.BadBatch;
            }

            int channel = (records[at] << 8) | records[at + 1];
            int length = (records[at + 2] << 8) | records[at + 3];
            if (channel == 0 || length > 65_507 || records.Length - at - 4 < length)
            {
                return TunnelFrameError.BadBatch;
            }

            at += 4 + length;
        }

        return TunnelFrameError.None;
    }

    private static List<(int Channel, string Datagram)> Walk(byte[] records)
    {
        var seen = new List<(int, string)>();
        var walk = TunnelBatchRecords.Enumerate(records);
        while (walk.MoveNext())
        {
            seen.Add((walk.Channel, Hex.Of(walk.Datagram)));
        }

        return seen;
    }
}
