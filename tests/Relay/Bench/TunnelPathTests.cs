using System.Buffers.Binary;
using FastSpinnRelay.Relay.Bench;
using FastSpinnRelay.Relay.Bench.Internal;
using FastSpinnRelay.Relay.Cli;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Emulator.Internal;
using FastSpinnRelay.Relay.Tunneling;

namespace FastSpinnRelay.Relay.Tests.Bench;

/// <summary>The tunnel paths' routing, the spike payload and the tunnel figures, without sockets.</summary>
public class TunnelPathTests
{
    [Theory]
    [InlineData(12, "LiveOutput")]
    [InlineData(24, "LiveOutput")]
    [InlineData(272, "LiveOutput")] // the most a STRIP tag carries
    [InlineData(273, "Scp")]
    [InlineData(282, "Scp")]        // the SCP maximum
    [InlineData(283, "Boot")]
    [InlineData(1042, "Boot")]
    public void Streams_take_the_channel_their_size_belongs_to(int size, string expected) =>
        Assert.Equal(expected, TunnelPath.RouteFor(BenchWorkload.Stream(size)).ToString());

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public void Request_response_goes_through_the_scp_channel(int window) =>
        Assert.Equal(TunnelRoute.Scp, TunnelPath.RouteFor(BenchWorkload.RequestResponse(window)));

    [Fact]
    public void Every_tunnel_path_is_in_the_table_and_not_run_by_default()
    {
        var names = BenchPaths.Describe().Select(p => p.Name).ToList();
        Assert.Contains("tunnel", names);
        Assert.Contains("tunnel-lz4", names);
        Assert.Contains("tunnel-tls", names);
        Assert.DoesNotContain(BenchPaths.DefaultNames, n => n.StartsWith("tunnel", StringComparison.Ordinal));
    }

    [Fact]
    public void Bench_help_lists_the_tunnel_paths_and_their_figures()
    {
        var help = new StringWriter();
        RelayCommandLine.Build().Parse(["bench", "--help"]).Invoke(new System.CommandLine.InvocationConfiguration { Output = help });
        var text = help.ToString();
        Assert.Contains("tunnel-lz4", text, StringComparison.Ordinal);
        Assert.Contains("tunnel-tls", text, StringComparison.Ordinal);
        Assert.Contains("bytes per datagram", text, StringComparison.Ordinal);
        Assert.Contains("LZ4 saving", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Spike_keys_follow_the_stamp_as_the_emulator_numbers_neurons()
    {
        var datagram = new byte[24];
        BenchPayload.Fill(datagram);
        Assert.True(BenchPayload.TryStamp(datagram, 0x1122_3344_5566_7788, 5));

        BenchPayload.WriteSpikeKeys(datagram, 5);

        Assert.True(BenchPayload.TryRead(datagram, out var timestamp, out var sequence));
        Assert.Equal(0x1122_3344_5566_7788, timestamp);
        Assert.Equal(5u, sequence);
        // Three keys per 24-byte datagram: base | ((5·3 + i) mod 1024).
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(SpikeSource.PopulationBaseKey | (uint)(15 + i), BinaryPrimitives.ReadUInt32LittleEndian(datagram.AsSpan(12 + (4 * i))));
        }
    }

    [Fact]
    public void Spike_keys_wrap_at_the_population_and_leave_a_ragged_tail_alone()
    {
        var datagram = new byte[12 + 8 + 3];
        datagram.AsSpan().Fill(0xEE);

        BenchPayload.WriteSpikeKeys(datagram, 512); // 2 keys each: neurons 1024 and 1025 wrap to 0 and 1

        Assert.Equal(SpikeSource.PopulationBaseKey, BinaryPrimitives.ReadUInt32LittleEndian(datagram.AsSpan(12)));
        Assert.Equal(SpikeSource.PopulationBaseKey | 1, BinaryPrimitives.ReadUInt32LittleEndian(datagram.AsSpan(16)));
        Assert.Equal([0xEE, 0xEE, 0xEE], datagram[20..]);
        Assert.All(datagram[..12], b => Assert.Equal(0xEE, b)); // the stamp is not touched
    }

    [Fact]
    public void Spike_keys_are_never_written_into_a_datagram_too_short_for_the_stamp()
    {
        var datagram = new byte[11];
        BenchPayload.WriteSpikeKeys(datagram, 1);
        Assert.All(datagram, b => Assert.Equal(0, b));
    }

    [Fact]
    public void The_emulators_packets_use_the_same_neuron_numbering()
    {
        Span<byte> packet = stackalloc byte[2 + (4 * 4)];
        SpikeSource.WritePacket(packet, sequence: 7, keyCount: 4, population: 1024);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(SpikeSource.NeuronKey(7, 3, i, 1024), BinaryPrimitives.ReadUInt32LittleEndian(packet[(6 + (4 * i))..]));
        }
    }

    [Fact]
    public void A_batch_of_the_generators_live_output_shrinks_by_at_least_30_percent_with_lz4()
    {
        if (!FastSpinnRelay.Tunnel.Compression.Lz4.IsAvailable)
        {
            return; // the tunnel neither offers nor uses compression without liblz4
        }

        // A 16 KiB batch as serve builds it: a 4-byte record header, then the datagram; stamps as the generator
        // writes them (one clock reading per burst of 64, about 300 µs apart at full speed).
        const int Record = 4 + 24;
        var batch = new byte[16 * 1024 / Record * Record];
        for (var i = 0; i < batch.Length / Record; i++)
        {
            var record = batch.AsSpan(i * Record, Record);
            BinaryPrimitives.WriteUInt16LittleEndian(record, 7);
            BinaryPrimitives.WriteUInt16LittleEndian(record[2..], 24);
            var sequence = 0x8000_0000u + (uint)i;
            BenchPayload.TryStamp(record[4..], 1_000_000_000L + (i / 64 * 300_000L), sequence);
            BenchPayload.WriteSpikeKeys(record[4..], sequence);
        }

        var compressed = new byte[FastSpinnRelay.Tunnel.Compression.Lz4.CompressBound(batch.Length)];
        var length = FastSpinnRelay.Tunnel.Compression.Lz4.TryCompress(batch, compressed);

        Assert.InRange(length, 1, (int)(batch.Length * 0.7));
    }

    [Fact]
    public void Bytes_per_datagram_is_both_ends_bytes_over_both_ends_datagrams()
    {
        // serve received 1,000 bytes carrying 10 datagrams; connect 2,000 bytes carrying 90.
        var serve = Report(bytes: 1_000, datagrams: 10, raw: 0, wire: 0, compressed: 0);
        var connect = Report(bytes: 2_000, datagrams: 90, raw: 0, wire: 0, compressed: 0);
        var cell = Cell(ExitReport.Sum(serve, connect));

        Assert.Equal(3_000, cell.TunnelBytes);
        Assert.Equal(100, cell.TunnelDatagrams);
        Assert.Equal(30.0, cell.TunnelBytesPerDatagram);
        Assert.Null(cell.Lz4SavingPercent); // nothing was compressed
    }

    [Fact]
    public void Lz4_saving_is_one_minus_wire_over_raw_batch_bytes()
    {
        var serve = Report(bytes: 100, datagrams: 1, raw: 10_000, wire: 3_500, compressed: 4);
        var connect = Report(bytes: 3_600, datagrams: 400, raw: 0, wire: 0, compressed: 0);
        var cell = Cell(ExitReport.Sum(serve, connect));

        Assert.Equal(65.0, cell.Lz4SavingPercent!.Value, 6);
        Assert.Equal(3_700 / 401.0, cell.TunnelBytesPerDatagram!.Value, 6);
    }

    [Fact]
    public void Paths_without_tunnel_counters_have_no_tunnel_figures()
    {
        var cell = Cell(new ExitReport(0, 0, 0, 1, 0.1));
        Assert.Null(cell.TunnelBytes);
        Assert.Null(cell.TunnelBytesPerDatagram);
        Assert.Null(cell.Lz4SavingPercent);
        Assert.Null(Cell(null).TunnelBytesPerDatagram);
        Assert.Null(BenchCellResult.BytesPer(10, 0));
    }

    [Fact]
    public void Exit_reports_add_counters_by_name()
    {
        var a = new ExitReport(1, 0, 0, 10, 0.5) { Counters = new Dictionary<string, long> { ["x"] = 1, ["y"] = 2 } };
        var b = new ExitReport(2, 1, 0, 20, 0.25) { Counters = new Dictionary<string, long> { ["y"] = 3, ["z"] = 4 } };

        var sum = ExitReport.Sum(a, b);

        Assert.Equal(new ExitReport(3, 1, 0, 30, 0.75) { Counters = new Dictionary<string, long> { ["x"] = 1, ["y"] = 5, ["z"] = 4 } }, sum);
        Assert.Null(sum.Counter("w"));
    }

    private static ExitReport Report(long bytes, long datagrams, long raw, long wire, long compressed) => new(0, 0, 0, 0, 0)
    {
        Counters = new Dictionary<string, long>
        {
            [TunnelExitCounters.BytesReceived] = bytes,
            [TunnelExitCounters.DatagramsReceived] = datagrams,
            [TunnelExitCounters.BatchRawBytes] = raw,
            [TunnelExitCounters.BatchWireBytes] = wire,
            [TunnelExitCounters.BatchesCompressed] = compressed,
        },
    };

    private static BenchCellResult Cell(ExitReport? exit) =>
        new() { Path = "tunnel", Workload = BenchWorkload.Stream(24), Exit = exit, LifetimeDatagrams = 1 };
}
