using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Protocol.Tests.Tunnel;

public class TunnelFramesTests
{
    [Fact]
    public void Hello_is_byte_exact()
    {
        Assert.Equal(
            Hex.Bytes("00000028 01 00 0000  46535254 01 03 01 01" + Hex.Of(TunnelFrameSamples.Nonce(0))),
            TunnelFrameSamples.Hello());

        Assert.Equal(TunnelFrameError.None, TunnelHello.TryRead(TunnelFrameSamples.Hello(), out TunnelHello hello));
        Assert.Equal((1, 3, TunnelAuthMethod.PreSharedKey, TunnelFeatures.Lz4), (hello.MinVersion, hello.MaxVersion, hello.AuthMethod, hello.Features));
        Assert.Equal(TunnelFrameSamples.Nonce(0), hello.ClientNonce.ToArray());
        Assert.Equal(40, hello.Body.Length);
    }

    [Fact]
    public void Challenge_auth_and_welcome_round_trip()
    {
        Assert.Equal(TunnelFrameError.None, TunnelChallenge.TryRead(TunnelFrameSamples.Challenge(), out TunnelChallenge challenge));
        Assert.Equal((1, TunnelAuthMethod.PreSharedKey, TunnelFeatures.Lz4), (challenge.Version, challenge.AuthMethod, challenge.Features));
        Assert.Equal(TunnelFrameSamples.Nonce(0x20), challenge.ServerNonce.ToArray());
        Assert.Equal(TunnelFrameSamples.Nonce(0x40), challenge.ServerProof.ToArray());
        Assert.Equal(68, challenge.Body.Length);
        Assert.Equal(Hex.Bytes("00000044 02 00 0000 01 01 01 00"), TunnelFrameSamples.Challenge().AsSpan(0, 12).ToArray());

        Assert.Equal(TunnelFrameError.None, TunnelAuth.TryRead(TunnelFrameSamples.Auth(), out TunnelAuth auth));
        Assert.Equal(TunnelFrameSamples.Nonce(0x60), auth.ClientProof.ToArray());
        Assert.Equal(TunnelFrameSamples.SessionId, auth.SessionId.ToArray());
        Assert.Equal(42ul, auth.NextExpected);
        Assert.Equal(24, auth.ProvenFields.Length);
        Assert.Equal("000000000000002A", Hex.Of(TunnelFrameSamples.Auth().AsSpan(56)));

        Assert.Equal(TunnelFrameError.None, TunnelWelcome.TryRead(TunnelFrameSamples.Welcome(true), out TunnelWelcome welcome));
        Assert.True(welcome.Resumed);
        Assert.Equal(7ul, welcome.NextExpected);
        Assert.Equal(TunnelFrameSamples.SessionId, welcome.SessionId.ToArray());
        Assert.Equal("0000001804010000", Hex.Of(TunnelFrameSamples.Welcome(true).AsSpan(0, 8)));
        Assert.Equal(TunnelFrameError.None, TunnelWelcome.TryRead(TunnelFrameSamples.Welcome(false), out welcome));
        Assert.False(welcome.Resumed);
    }

    [Fact]
    public void A_batch_header_written_around_records_in_place_equals_the_whole_batch_writer()
    {
        byte[] records = new byte[2 * TunnelBatchRecords.RecordLength(3)];
        Assert.True(TunnelBatchRecords.TryWrite(records, 5, [1, 2, 3], out int first));
        Assert.True(TunnelBatchRecords.TryWrite(records.AsSpan(first), 6, [4, 5, 6], out _));
        var whole = new byte[TunnelFrameHeader.Length + records.Length];
        Assert.True(TunnelFrameWriter.TryWriteBatch(whole, records, out int wholeLength));

        var inPlace = new byte[whole.Length];
        records.CopyTo(inPlace.AsSpan(TunnelFrameHeader.Length));
        Assert.True(TunnelFrameWriter.TryWriteBatchHeader(inPlace, records.Length, out int inPlaceLength));

        Assert.Equal(wholeLength, inPlaceLength);
        Assert.Equal(whole, inPlace);
        Assert.False(TunnelFrameWriter.TryWriteBatchHeader(inPlace.AsSpan(0, inPlace.Length - 1), records.Length, out int none));
        Assert.Equal(0, none);
        Assert.Throws<ArgumentOutOfRangeException>(() => TunnelFrameWriter.TryWriteBatchHeader(inPlace, 0, out _));
    }

    [Fact]
    public void Proofs_can_be_filled_in_after_writing()
    {
        var frame = new byte[TunnelChallenge.Length];
        Assert.True(TunnelFrameWriter.TryWriteChallenge(frame, 1, TunnelAuthMethod.ClientCertificate, 0, TunnelFrameSamples.Nonce(0), default, out _));
        Assert.Equal(TunnelFrameError.None, TunnelChallenge.TryRead(frame, out TunnelChallenge challenge));
        Assert.True(challenge.ServerProof.IndexOfAnyExcept((byte)0) < 0);

        frame = new byte[TunnelAuth.Length];
        Assert.True(TunnelFrameWriter.TryWriteAuth(frame, default, new byte[16], 0, out _));
        Assert.Equal(TunnelFrameError.None, TunnelAuth.TryRead(frame, out TunnelAuth auth));
        Assert.True(auth.ClientProof.IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Error_is_byte_exact_and_long_text_is_cut()
    {
        Assert.Equal(Hex.Bytes("0000000B 05 00 0000 0006 77726F6E67206B6579"), TunnelFrameSamples.Error("wrong key"));
        Assert.Equal(TunnelFrameError.None, TunnelErrorFrame.TryRead(TunnelFrameSamples.Error("wrong key"), out TunnelErrorFrame error));
        Assert.Equal(TunnelErrorCode.AuthenticationFailed, error.Code);
        Assert.Equal("wrong key"u8.ToArray(), error.Text.ToArray());

        Assert.Equal(130, TunnelFrameSamples.Error(new string('x', 500)).Length);
        Assert.Throws<ArgumentException>(() => TunnelFrameSamples.Error("new\nline"));

        byte[] control = TunnelFrameSamples.Error("ab");
        control[^1] = 0x07;
        Assert.Equal(TunnelFrameError.BadValue, TunnelErrorFrame.TryRead(control, out _));
    }

    [Fact]
    public void Open_close_data_and_values_are_byte_exact()
    {
        Assert.Equal(Hex.Bytes("00000010 10 00 0002 0000000000000005 01 04 45E5 01020304"), TunnelFrameSamples.Open(4));
        Assert.Equal(Hex.Bytes("0000000A 11 00 0003 0000000000000009 0014"), TunnelFrameSamples.Close());
        Assert.Equal(Hex.Bytes("00000011 12 00 0004 0102030405060708 0000C350 0001020304"), TunnelFrameSamples.Data(3 + 2));
        Assert.Equal(Hex.Bytes("00000008 30 00 0000 00000000DEADBEEF"), TunnelFrameSamples.Value(TunnelFrameType.Ack));
        Assert.Equal(Hex.Bytes("00000008 31 00 0000 00000000DEADBEEF"), TunnelFrameSamples.Value(TunnelFrameType.Ping));
        Assert.Equal(Hex.Bytes("00000008 32 00 0000 00000000DEADBEEF"), TunnelFrameSamples.Value(TunnelFrameType.Pong));
    }

    [Fact]
    public void Open_close_data_and_values_round_trip()
    {
        foreach (int addressLength in new[] { 0, 4, 16 })
        {
            Assert.Equal(TunnelFrameError.None, TunnelOpenFrame.TryRead(TunnelFrameSamples.Open(addressLength), out TunnelOpenFrame open));
            Assert.Equal((2, 5ul, TunnelChannelKind.Scp, 17893), (open.Channel, open.Sequence, open.Kind, open.Port));
            Assert.Equal(addressLength switch { 0 => 0, 4 => 4, _ => 6 }, open.AddressFamily);
            Assert.Equal(TunnelFrameSamples.Nonce(1).AsSpan(0, addressLength).ToArray(), open.Address.ToArray());
        }

        Assert.Equal(TunnelFrameError.None, TunnelCloseFrame.TryRead(TunnelFrameSamples.Close(), out TunnelCloseFrame close));
        Assert.Equal((3, 9ul, TunnelErrorCode.ChannelRejected), (close.Channel, close.Sequence, close.Code));

        Assert.Equal(TunnelFrameError.None, TunnelDataFrame.TryRead(TunnelFrameSamples.Data(300), out TunnelDataFrame data));
        Assert.Equal((4, 0x0102030405060708ul, 50_000u, 300), (data.Channel, data.Sequence, data.GapMicroseconds, data.Datagram.Length));

        byte[] largest = TunnelFrameSamples.Data(TunnelDataFrame.MaxDatagramLength);
        Assert.Equal(TunnelFrameError.None, TunnelDataFrame.TryRead(largest, out data));
        Assert.True(largest.Length - 8 <= TunnelFrameReader.DefaultMaxBodyLength);
        Assert.Throws<ArgumentOutOfRangeException>(() => TunnelFrameSamples.Data(TunnelDataFrame.MaxDatagramLength + 1));

        foreach (TunnelFrameType type in new[] { TunnelFrameType.Ack, TunnelFrameType.Ping, TunnelFrameType.Pong })
        {
            Assert.Equal(TunnelFrameError.None, TunnelValueFrame.TryRead(TunnelFrameSamples.Value(type), out TunnelValueFrame value));
            Assert.Equal((type, 0xDEADBEEFul), (value.Type, value.Value));
        }
    }

    [Fact]
    public void Batches_are_byte_exact_and_enumerate_their_records()
    {
        byte[] batch = TunnelFrameSamples.Batch((2, 0), (5, 2), (7, 1));
        Assert.Equal(Hex.Bytes("0000000F 20 00 0000  0002 0000  0005 0002 0506  0007 0001 07"), batch);

        Assert.Equal(TunnelFrameError.None, TunnelBatchFrame.TryRead(batch, 100, out TunnelBatchFrame frame));
        Assert.False(frame.IsCompressed);
        Assert.Equal(15, frame.RawLength);
        var seen = new List<(ushort, string)>();
        TunnelBatchRecordEnumerator records = TunnelBatchRecords.Enumerate(frame.Content);
        while (records.MoveNext())
        {
            seen.Add((records.Channel, Hex.Of(records.Datagram)));
        }

        Assert.Equal([(2, ""), (5, "0506"), (7, "07")], seen);

        byte[] compressed = TunnelFrameSamples.CompressedBatch(1000, 3);
        Assert.Equal(Hex.Bytes("00000007 20 01 0000 000003E8 000000"), compressed);
        Assert.Equal(TunnelFrameError.None, TunnelBatchFrame.TryRead(compressed, 1000, out frame));
        Assert.True(frame.IsCompressed);
        Assert.Equal((1000, 3), (frame.RawLength, frame.Content.Length));
        Assert.Equal(TunnelFrameError.BadBatch, TunnelBatchFrame.TryRead(compressed, 999, out _));
    }

    [Theory]
    [InlineData("00000000 20 00 0000")] // no record
    [InlineData("00000003 20 00 0000 000100")] // record header cut short
    [InlineData("00000006 20 00 0000 0001 0003 AABB")] // datagram cut short
    [InlineData("00000005 20 00 0000 0000 0001 AA")] // channel 0
    [InlineData("00000004 20 01 0000 00000000")] // compressed, no block
    [InlineData("00000005 20 01 0000 00000000 AA")] // compressed, raw length 0
    [InlineData("00000005 20 01 0000 00010000 AA")] // compressed, raw length above the maximum
    [InlineData("00000005 20 02 0000 0001 0001 AA")] // undefined flag
    public void Malformed_batches_are_refused(string hex)
    {
        TunnelFrameError error = TunnelBatchFrame.TryRead(Hex.Bytes(hex), 1000, out TunnelBatchFrame frame);
        Assert.NotEqual(TunnelFrameError.None, error);
        Assert.True(frame.Content.IsEmpty);
    }

    [Fact]
    public void Every_truncated_prefix_of_every_sample_is_refused()
    {
        foreach (byte[] sample in TunnelFrameSamples.All())
        {
            for (int length = 0; length < sample.Length; length++)
            {
                TunnelFrameError error = ReadAny(sample.AsSpan(0, length), out _);
                Assert.True(error is TunnelFrameError.TooShort or TunnelFrameError.WrongLength, $"{Hex.Of(sample)}[..{length}]: {error}");
            }
        }
    }

    [Theory]
    [InlineData("00000028 01 00 0000 46535255 01 01 01 00", TunnelFrameError.BadMagic)]
    [InlineData("00000028 01 00 0000 46535254 00 01 01 00", TunnelFrameError.BadValue)] // min version 0
    [InlineData("00000028 01 00 0000 46535254 02 01 01 00", TunnelFrameError.BadValue)] // max < min
    [InlineData("00000028 01 00 0000 46535254 01 01 03 00", TunnelFrameError.BadValue)] // unknown method
    [InlineData("00000028 01 01 0000 46535254 01 01 01 00", TunnelFrameError.ReservedBitsSet)]
    [InlineData("00000028 01 00 0001 46535254 01 01 01 00", TunnelFrameError.BadChannel)]
    [InlineData("00000028 02 00 0000 46535254 01 01 01 00", TunnelFrameError.WrongType)]
    public void Hello_checks_its_fields(string start, TunnelFrameError expected)
    {
        byte[] frame = Hex.Bytes(start + Hex.Of(new byte[32]));
        Assert.Equal(expected, TunnelHello.TryRead(frame, out _));
    }

    [Fact]
    public void Reliable_frames_need_a_channel_and_control_frames_refuse_one()
    {
        byte[] data = TunnelFrameSamples.Data(1);
        data[6] = data[7] = 0;
        Assert.Equal(TunnelFrameError.BadChannel, TunnelDataFrame.TryRead(data, out _));

        byte[] ack = TunnelFrameSamples.Value(TunnelFrameType.Ack);
        ack[7] = 1;
        Assert.Equal(TunnelFrameError.BadChannel, TunnelValueFrame.TryRead(ack, out _));

        byte[] challenge = TunnelFrameSamples.Challenge();
        challenge[11] = 1;
        Assert.Equal(TunnelFrameError.ReservedBitsSet, TunnelChallenge.TryRead(challenge, out _));

        byte[] open = TunnelFrameSamples.Open(4);
        open[17] = 6; // says IPv6, carries 4 bytes
        Assert.Equal(TunnelFrameError.WrongLength, TunnelOpenFrame.TryRead(open, out _));
        open[17] = 5;
        Assert.Equal(TunnelFrameError.BadValue, TunnelOpenFrame.TryRead(open, out _));
        open = TunnelFrameSamples.Open(0);
        open[16] = 9;
        Assert.Equal(TunnelFrameError.BadValue, TunnelOpenFrame.TryRead(open, out _));

        Assert.Throws<ArgumentOutOfRangeException>(() => TunnelFrameWriter.TryWriteData(new byte[64], 0, 0, 0, default, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => TunnelFrameWriter.TryWriteValue(new byte[64], TunnelFrameType.Data, 0, out _));
        Assert.Throws<ArgumentException>(() => TunnelFrameWriter.TryWriteOpen(new byte[64], 2, 0, TunnelChannelKind.Boot, 0, new byte[5], out _));
    }

    [Fact]
    public void Writers_refuse_a_short_destination_and_write_nothing()
    {
        foreach (byte[] sample in TunnelFrameSamples.All().Where(s => s[4] != (byte)TunnelFrameType.Batch || s[5] == 0))
        {
            var destination = new byte[sample.Length - 1];
            Assert.False(Rewrite(sample, destination, out int written));
            Assert.Equal(0, written);
            Assert.True(destination.AsSpan().IndexOfAnyExcept((byte)0) < 0);
        }
    }

    public static TheoryData<int> Readers => [.. Enumerable.Range(0, ReaderCount)];

    /// <summary>100,000 seeded inputs per reader: the outcome is defined, and an accepted frame writes back byte for byte.</summary>
    [Theory]
    [MemberData(nameof(Readers))]
    public void Random_inputs_never_throw_and_accepted_frames_round_trip(int reader)
    {
        int accepted = 0;
        FuzzInputs.Run(seed: 100 + reader, TunnelFrameSamples.All(), maxRandomLength: 140, input =>
        {
            TunnelFrameError error = Read(reader, input, out bool ok);
            Assert.True(Enum.IsDefined(error));
            Assert.Equal(error == TunnelFrameError.None, ok);
            if (ok && !(input[4] == (byte)TunnelFrameType.Batch && input[5] != 0)) // a compressed batch has no writer here
            {
                accepted++;
                var copy = new byte[input.Length];
                Assert.True(Rewrite(input, copy, out int written));
                Assert.Equal(input.Length, written);
                Assert.True(input.SequenceEqual(copy), Hex.Of(input));
            }
        });

        Assert.InRange(accepted, 1, FuzzInputs.Count);
    }

    private const int ReaderCount = 11;
    private const int BatchReader = 9;

    private static TunnelFrameError Read(int reader, ReadOnlySpan<byte> input, out bool ok)
    {
        TunnelFrameError error = reader switch
        {
            0 => TunnelHello.TryRead(input, out _),
            1 => TunnelChallenge.TryRead(input, out _),
            2 => TunnelAuth.TryRead(input, out _),
            3 => TunnelWelcome.TryRead(input, out _),
            4 => TunnelErrorFrame.TryRead(input, out _),
            5 => TunnelOpenFrame.TryRead(input, out _),
            6 => TunnelCloseFrame.TryRead(input, out _),
            7 => TunnelDataFrame.TryRead(input, out _),
            8 => TunnelValueFrame.TryRead(input, out _),
            BatchReader => TunnelBatchFrame.TryRead(input, 1000, out _),
            _ => TunnelFrameHeader.TryRead(input, out TunnelFrameHeader h) && h.IsKnownType ? TunnelFrameError.None : TunnelFrameError.TooShort,
        };
        ok = error == TunnelFrameError.None;
        if (reader == 10 && ok)
        {
            // The header alone is not a frame: accept only what one of the typed readers accepts.
            error = ReadAny(input, out _);
            ok = error == TunnelFrameError.None;
        }

        return error;
    }

    /// <summary>Reads any frame with the reader its type byte names (a batch with a 1000-byte raw maximum).</summary>
    internal static TunnelFrameError ReadAny(ReadOnlySpan<byte> frame, out TunnelFrameType type)
    {
        type = frame.Length > 4 ? (TunnelFrameType)frame[4] : 0;
        return frame.Length < 8 ? TunnelFrameError.TooShort : type switch
        {
            TunnelFrameType.Hello => TunnelHello.TryRead(frame, out _),
            TunnelFrameType.Challenge => TunnelChallenge.TryRead(frame, out _),
            TunnelFrameType.Auth => TunnelAuth.TryRead(frame, out _),
            TunnelFrameType.Welcome => TunnelWelcome.TryRead(frame, out _),
            TunnelFrameType.Error => TunnelErrorFrame.TryRead(frame, out _),
            TunnelFrameType.Open => TunnelOpenFrame.TryRead(frame, out _),
            TunnelFrameType.Close => TunnelCloseFrame.TryRead(frame, out _),
            TunnelFrameType.Data => TunnelDataFrame.TryRead(frame, out _),
            TunnelFrameType.Batch => TunnelBatchFrame.TryRead(frame, 1000, out _),
            _ => TunnelValueFrame.TryRead(frame, out _),
        };
    }

    /// <summary>Parses <paramref name="frame"/> (which must be valid) and writes it again with the writer of its type.</summary>
    private static bool Rewrite(ReadOnlySpan<byte> frame, Span<byte> destination, out int written)
    {
        written = 0;
        switch ((TunnelFrameType)frame[4])
        {
            case TunnelFrameType.Hello:
                TunnelHello.TryRead(frame, out TunnelHello h);
                return TunnelFrameWriter.TryWriteHello(destination, h.MinVersion, h.MaxVersion, h.AuthMethod, h.Features, h.ClientNonce, out written);
            case TunnelFrameType.Challenge:
                TunnelChallenge.TryRead(frame, out TunnelChallenge c);
                return TunnelFrameWriter.TryWriteChallenge(destination, c.Version, c.AuthMethod, c.Features, c.ServerNonce, c.ServerProof, out written);
            case TunnelFrameType.Auth:
                TunnelAuth.TryRead(frame, out TunnelAuth a);
                return TunnelFrameWriter.TryWriteAuth(destination, a.ClientProof, a.SessionId, a.NextExpected, out written);
            case TunnelFrameType.Welcome:
                TunnelWelcome.TryRead(frame, out TunnelWelcome w);
                return TunnelFrameWriter.TryWriteWelcome(destination, w.SessionId, w.NextExpected, w.Resumed, out written);
            case TunnelFrameType.Error:
                TunnelErrorFrame.TryRead(frame, out TunnelErrorFrame e);
                return TunnelFrameWriter.TryWriteError(destination, e.Code, e.Text, out written);
            case TunnelFrameType.Open:
                TunnelOpenFrame.TryRead(frame, out TunnelOpenFrame o);
                return TunnelFrameWriter.TryWriteOpen(destination, o.Channel, o.Sequence, o.Kind, o.Port, o.Address, out written);
            case TunnelFrameType.Close:
                TunnelCloseFrame.TryRead(frame, out TunnelCloseFrame cl);
                return TunnelFrameWriter.TryWriteClose(destination, cl.Channel, cl.Sequence, cl.Code, out written);
            case TunnelFrameType.Data:
                TunnelDataFrame.TryRead(frame, out TunnelDataFrame d);
                return TunnelFrameWriter.TryWriteData(destination, d.Channel, d.Sequence, d.GapMicroseconds, d.Datagram, out written);
            case TunnelFrameType.Batch:
                TunnelBatchFrame.TryRead(frame, 100_000, out TunnelBatchFrame b);
                return TunnelFrameWriter.TryWriteBatch(destination, b.Content, out written);
            default:
                TunnelValueFrame.TryRead(frame, out TunnelValueFrame v);
                return TunnelFrameWriter.TryWriteValue(destination, v.Type, v.Value, out written);
        }
    }
}
