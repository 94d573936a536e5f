using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Protocol.Tests.Tunnel;

/// <summary>One valid frame of every type (and variants), written with <see cref="TunnelFrameWriter"/>.</summary>
internal static class TunnelFrameSamples
{
    public static byte[] Nonce(byte first) => [.. Enumerable.Range(first, 32).Select(i => (byte)i)];

    public static byte[] SessionId => [.. Enumerable.Range(0xA0, 16).Select(i => (byte)i)];

    public static byte[] Hello() => Write((d, out n) =>
        TunnelFrameWriter.TryWriteHello(d, 1, 3, TunnelAuthMethod.PreSharedKey, TunnelFeatures.Lz4, Nonce(0), out n));

    public static byte[] Challenge() => Write((d, out n) =>
        TunnelFrameWriter.TryWriteChallenge(d, 1, TunnelAuthMethod.PreSharedKey, TunnelFeatures.Lz4, Nonce(0x20), Nonce(0x40), out n));

    public static byte[] Auth() => Write((d, out n) => TunnelFrameWriter.TryWriteAuth(d, Nonce(0x60), SessionId, 42, out n));

    public static byte[] Welcome(bool resumed) => Write((d, out n) => TunnelFrameWriter.TryWriteWelcome(d, SessionId, 7, resumed, out n));

    public static byte[] Error(string text) => Write((d, out n) =>
        TunnelFrameWriter.TryWriteError(d, TunnelErrorCode.AuthenticationFailed, System.Text.Encoding.ASCII.GetBytes(text), out n));

    public static byte[] Open(int addressLength) => Write((d, out n) =>
        TunnelFrameWriter.TryWriteOpen(d, 2, 5, TunnelChannelKind.Scp, 17893, Nonce(1).AsSpan(0, addressLength), out n));

    public static byte[] Close() => Write((d, out n) => TunnelFrameWriter.TryWriteClose(d, 3, 9, TunnelErrorCode.ChannelRejected, out n));

    public static byte[] Data(int length) => Write((d, out n) =>
        TunnelFrameWriter.TryWriteData(d, 4, 0x0102030405060708, 50_000, [.. Enumerable.Range(0, length).Select(i => (byte)i)], out n));

    public static byte[] Value(TunnelFrameType type) => Write((d, out n) => TunnelFrameWriter.TryWriteValue(d, type, 0xDEADBEEF, out n));

    public static byte[] Records(params (ushort Channel, int Length)[] records)
    {
        var bytes = new List<byte>();
        foreach ((ushort channel, int length) in records)
        {
            var record = new byte[TunnelBatchRecords.RecordLength(length)];
            Assert.True(TunnelBatchRecords.TryWrite(record, channel, [.. Enumerable.Range(channel, length).Select(i => (byte)i)], out _));
            bytes.AddRange(record);
        }

        return [.. bytes];
    }

    public static byte[] Batch(params (ushort Channel, int Length)[] records)
    {
        byte[] body = Records(records);
        return Write((d, out n) => TunnelFrameWriter.TryWriteBatch(d, body, out n));
    }

    public static byte[] CompressedBatch(int rawLength, int blockLength)
    {
        var frame = new byte[TunnelBatchFrame.CompressedHeaderLength + blockLength];
        Assert.True(TunnelFrameWriter.TryWriteCompressedBatchHeader(frame, rawLength, blockLength));
        return frame;
    }

    /// <summary>Every sample, for fuzzing.</summary>
    public static byte[][] All() =>
    [
        Hello(), Challenge(), Auth(), Welcome(false), Welcome(true), Error(""), Error("wrong key"), Open(0), Open(4), Open(16),
        Close(), Data(0), Data(5), Data(300), Value(TunnelFrameType.Ack), Value(TunnelFrameType.Ping), Value(TunnelFrameType.Pong),
        Batch((2, 3)), Batch((2, 0), (5, 10), (7, 1)), CompressedBatch(100, 5),
    ];

    public delegate bool WriteFrame(Span<byte> destination, out int written);

    public static byte[] Write(WriteFrame write)
    {
        var buffer = new byte[70_000];
        Assert.True(write(buffer, out int written));
        return buffer.AsSpan(0, written).ToArray();
    }
}
