using System.Text;
using FastSpinnRelay.Protocol.Eieio;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Eieio;

public class EieioCommandTests
{
    /// <summary>One valid packet per command ID, written by hand from protocols.md §6.2.</summary>
    public static TheoryData<EieioCommandId, string> HandVectors() => new()
    {
        { EieioCommandId.Database, "01 40  2F 74 6D 70 2F 64 62" },           // "/tmp/db"
        { EieioCommandId.EventPadding, "02 40" },
        { EieioCommandId.EventStop, "03 40" },
        { EieioCommandId.StopSendingRequests, "04 40" },
        { EieioCommandId.StartSendingRequests, "05 40" },
        // y=2 x=1 p=5 (<<3 = 0x28) pad region=3 seq=7 space=4096
        { EieioCommandId.SpinnakerRequestBuffers, "06 40  02 01 28 00 03 07  00 10 00 00" },
        // region=4 seq=9, then a type-0 data packet with keys 0x0102, 0x0304
        { EieioCommandId.HostSendSequencedData, "07 40  04 09  02 00 02 01 04 03" },
        // y=2 x=1 p=3|n=2 (0x1A) seq=5; req0: ch 1 region 2 start 0x60000000 len 0x100;
        // pad; req1: ch 3 region 4 start 0x60001000 len 0x20
        { EieioCommandId.SpinnakerRequestReadData, "08 40  02 01 1A 05  01 02 00 00 00 60 00 01 00 00  00 00 03 04 00 10 00 60 20 00 00 00" },
        // n=2 seq=6; read0: pad ch 1 region 2 len 0x100; read1: pad ch 3 region 4 len 0x20
        { EieioCommandId.HostDataRead, "09 40  02 06  00 00 01 02 00 01 00 00  00 00 03 04 20 00 00 00" },
        { EieioCommandId.StopPauseNotification, "0A 40" },
        { EieioCommandId.StartResumeNotification, "0B 40" },
        { EieioCommandId.HostDataReadAck, "0C 40  2A" },
    };

    [Theory]
    [MemberData(nameof(HandVectors))]
    public void Hand_vectors_are_read_by_the_generic_reader(EieioCommandId id, string hex)
    {
        byte[] bytes = Hex.Bytes(hex);

        Assert.True(EieioHeader.IsCommand(bytes));
        Assert.Equal(EieioCommandError.None, EieioCommand.TryRead(bytes, out EieioCommand command));
        Assert.Equal(id, command.Id);
        Assert.True(command.IsKnown);
        Assert.Equal(bytes.Length - 2, command.Body.Length);
    }

    [Theory]
    [MemberData(nameof(HandVectors))]
    public void Hand_vectors_are_rewritten_byte_exact_by_the_typed_writers(EieioCommandId id, string hex)
    {
        byte[] bytes = Hex.Bytes(hex);
        var buffer = new byte[64];

        int written = EieioCommandSamples.Rewrite(id, bytes, buffer);

        Assert.Equal(bytes, buffer.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void Command_header_0x4001_is_the_bare_database_ack()
    {
        byte[] bytes = Hex.Bytes("01 40");

        Assert.Equal(EieioCommandError.None, EieioDatabaseCommand.TryRead(bytes, out EieioDatabaseCommand ack));
        Assert.False(ack.HasPath);
        var buffer = new byte[2];
        Assert.True(EieioDatabaseCommand.TryWrite(buffer, ReadOnlySpan<byte>.Empty, out int written));
        Assert.Equal(bytes, buffer.AsSpan(0, written).ToArray());
    }

    [Fact]
    public void Typed_readers_expose_every_field()
    {
        Assert.Equal(EieioCommandError.None, EieioRequestBuffersCommand.TryRead(Vector(EieioCommandId.SpinnakerRequestBuffers), out var buffers));
        Assert.Equal(new EieioRequestBuffersCommand(X: 1, Y: 2, Processor: 5, Region: 3, Sequence: 7, SpaceAvailable: 4096), buffers);

        Assert.Equal(EieioCommandError.None, EieioSequencedDataCommand.TryRead(Vector(EieioCommandId.HostSendSequencedData), out var sequenced));
        Assert.Equal(4, sequenced.Region);
        Assert.Equal(9, sequenced.Sequence);
        Assert.Equal(EieioType.Key16, sequenced.Data.Type);
        Assert.Equal(0x0304u, sequenced.Data.GetKey(1));

        Assert.Equal(EieioCommandError.None, EieioReadDataRequestCommand.TryRead(Vector(EieioCommandId.SpinnakerRequestReadData), out var request));
        Assert.Equal((1, 2, 3, 5, 2), (request.X, request.Y, request.Processor, request.Sequence, request.Count));
        Assert.Equal(new EieioPendingRead(1, 2, 0x60000000, 0x100), request.GetRequest(0));
        Assert.Equal(new EieioPendingRead(3, 4, 0x60001000, 0x20), request.GetRequest(1));

        Assert.Equal(EieioCommandError.None, EieioHostDataReadCommand.TryRead(Vector(EieioCommandId.HostDataRead), out var read));
        Assert.Equal((2, 6), (read.Count, read.Sequence));
        Assert.Equal(new EieioCompletedRead(1, 2, 0x100), read.GetRead(0));
        Assert.Equal(new EieioCompletedRead(3, 4, 0x20), read.GetRead(1));

        Assert.Equal(EieioCommandError.None, EieioDataReadAckCommand.TryRead(Vector(EieioCommandId.HostDataReadAck), out var ack));
        Assert.Equal(42, ack.Sequence);

        Assert.Equal(EieioCommandError.None, EieioDatabaseCommand.TryRead(Vector(EieioCommandId.Database), out var database));
        Assert.Equal("/tmp/db", Encoding.UTF8.GetString(database.PathUtf8));
    }

    [Theory]
    [MemberData(nameof(HandVectors))]
    public void Every_truncated_prefix_is_malformed_with_the_right_reason(EieioCommandId id, string hex)
    {
        byte[] bytes = Hex.Bytes(hex);
        for (int length = 0; length < bytes.Length; length++)
        {
            EieioCommandError expected = length < 2 ? EieioCommandError.TooShort : id switch
            {
                EieioCommandId.Database => EieioCommandError.None, // a shorter ASCII path is still a path
                EieioCommandId.HostSendSequencedData when length >= 4 => EieioCommandError.EmbeddedDataMalformed,
                _ => EieioCommandError.BodyTooShort,
            };

            Assert.Equal(expected, EieioCommand.TryRead(bytes.AsSpan(0, length), out _));
            Assert.Equal(expected, EieioCommandSamples.ReadTyped(id, bytes.AsSpan(0, length)));
        }
    }

    [Theory]
    [MemberData(nameof(HandVectors))]
    public void One_extra_byte_is_rejected_except_in_a_path(EieioCommandId id, string hex)
    {
        byte[] longer = [.. Hex.Bytes(hex), 0x41];
        EieioCommandError expected = id switch
        {
            EieioCommandId.Database => EieioCommandError.None,
            EieioCommandId.HostSendSequencedData => EieioCommandError.EmbeddedDataMalformed,
            _ => EieioCommandError.TrailingBytes,
        };

        Assert.Equal(expected, EieioCommand.TryRead(longer, out _));
        Assert.Equal(expected, EieioCommandSamples.ReadTyped(id, longer));
    }

    [Theory]
    [InlineData("00 40", 0)]
    [InlineData("0D 40 01 02", 13)]
    [InlineData("FF 7F", 0x3FFF)]
    public void Unknown_ids_are_reported_with_the_raw_id(string hex, int rawId)
    {
        byte[] bytes = Hex.Bytes(hex);

        Assert.Equal(EieioCommandError.UnknownCommandId, EieioCommand.TryRead(bytes, out EieioCommand command));
        Assert.Equal(rawId, command.RawId);
        Assert.False(command.IsKnown);
        Assert.Equal(bytes.Length, command.Packet.Length);
    }

    [Fact]
    public void Data_packets_and_other_ids_are_refused_by_command_readers()
    {
        byte[] data = Hex.Bytes("01 00 34 12");
        byte[] stop = Hex.Bytes("03 40");

        Assert.False(EieioHeader.IsCommand(data));
        Assert.Equal(EieioCommandError.NotACommand, EieioCommand.TryRead(data, out _));
        Assert.Equal(EieioCommandError.NotACommand, EieioDataReadAckCommand.TryRead(data, out _));
        Assert.Equal(EieioCommandError.WrongCommandId, EieioDataReadAckCommand.TryRead(stop, out _));
        Assert.Equal(EieioCommandError.WrongCommandId, EieioBareCommand.TryRead(Vector(EieioCommandId.HostDataReadAck), out _));
        Assert.Equal(EieioCommandError.WrongCommandId, EieioDatabaseCommand.TryRead(stop, out _));
    }

    [Fact]
    public void Invalid_utf8_path_is_rejected()
    {
        byte[] bytes = Hex.Bytes("01 40  2F C3 28"); // C3 must be followed by a continuation byte

        Assert.Equal(EieioCommandError.InvalidUtf8, EieioCommand.TryRead(bytes, out _));
        Assert.Throws<ArgumentException>(() => EieioDatabaseCommand.TryWrite(new byte[8], bytes.AsSpan(2), out _));
    }

    [Fact]
    public void Database_path_string_is_encoded_as_utf8()
    {
        var buffer = new byte[32];

        Assert.True(EieioDatabaseCommand.TryWrite(buffer, "/données.db", out int written));
        Assert.False(EieioDatabaseCommand.TryWrite(buffer.AsSpan(0, written - 1), "/données.db", out int none));

        Assert.Equal(0, none);
        Assert.Equal(EieioCommandError.None, EieioDatabaseCommand.TryRead(buffer.AsSpan(0, written), out var database));
        Assert.Equal("/données.db", Encoding.UTF8.GetString(database.PathUtf8));
        Assert.Throws<ArgumentException>(() => EieioDatabaseCommand.TryWrite(buffer, "\ud800", out _));
    }

    [Theory]
    [MemberData(nameof(HandVectors))]
    public void Writers_report_a_short_destination_without_writing_a_length(EieioCommandId id, string hex)
    {
        byte[] bytes = Hex.Bytes(hex);
        var buffer = new byte[bytes.Length - 1];

        Assert.Equal(-1, EieioCommandSamples.Rewrite(id, bytes, buffer));
    }

    [Fact]
    public void Writer_argument_bugs_throw()
    {
        var buffer = new byte[128];
        var eight = new EieioPendingRead[8];
        var eightReads = new EieioCompletedRead[8];

        Assert.Throws<ArgumentOutOfRangeException>(() => new EieioBareCommand(EieioCommandId.HostDataReadAck).TryWrite(buffer, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EieioRequestBuffersCommand(0, 0, 32, 0, 0, 0).TryWrite(buffer, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EieioRequestBuffersCommand(0, 0, 0, 16, 0, 0).TryWrite(buffer, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => EieioReadDataRequestCommand.TryWrite(buffer, 0, 0, 32, 0, [], out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => EieioReadDataRequestCommand.TryWrite(buffer, 0, 0, 0, 0, eight, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => EieioHostDataReadCommand.TryWrite(buffer, 0, eightReads, out _));
        Assert.Throws<ArgumentException>(() => EieioSequencedDataCommand.TryWrite(buffer, 0, 0, Hex.Bytes("01 40"), out _));
    }

    [Fact]
    public void Request_and_read_counts_of_zero_and_seven_round_trip()
    {
        var buffer = new byte[128];
        var requests = Enumerable.Range(0, 7).Select(i => new EieioPendingRead((byte)i, (byte)(i + 1), (uint)(i * 1000), (uint)i)).ToArray();
        var reads = Enumerable.Range(0, 7).Select(i => new EieioCompletedRead((byte)i, (byte)(i + 1), (uint)(i * 77))).ToArray();

        foreach (int n in new[] { 0, 7 })
        {
            Assert.True(EieioReadDataRequestCommand.TryWrite(buffer, 9, 8, 31, 200, requests.AsSpan(0, n), out int written));
            Assert.Equal(EieioReadDataRequestCommand.GetLength(n), written);
            Assert.Equal(EieioCommandError.None, EieioReadDataRequestCommand.TryRead(buffer.AsSpan(0, written), out var request));
            Assert.Equal((9, 8, 31, 200, n), (request.X, request.Y, request.Processor, request.Sequence, request.Count));
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(requests[i], request.GetRequest(i));
            }

            Assert.Throws<ArgumentOutOfRangeException>(() => ReadRequest(buffer.AsSpan(0, written).ToArray()).GetRequest(n));

            Assert.True(EieioHostDataReadCommand.TryWrite(buffer, 255, reads.AsSpan(0, n), out written));
            Assert.Equal(4 + (8 * n), written);
            Assert.Equal(EieioCommandError.None, EieioHostDataReadCommand.TryRead(buffer.AsSpan(0, written), out var read));
            Assert.Equal(n, read.Count);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(reads[i], read.GetRead(i));
            }
        }

        static EieioReadDataRequestCommand ReadRequest(byte[] bytes)
        {
            EieioReadDataRequestCommand.TryRead(bytes, out var request);
            return request;
        }
    }

    private static byte[] Vector(EieioCommandId id) =>
        Hex.Bytes(HandVectors().Single(row => (EieioCommandId)row[0] == id)[1].ToString()!);
}
