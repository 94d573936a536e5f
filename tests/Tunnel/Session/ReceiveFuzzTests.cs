using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Protocol.Tests.Tunnel;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Compression;
using FastSpinnRelay.Tunnel.Internal;
using FastSpinnRelay.Tunnel.Tests.TestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>
/// What the receive loop hands a session after the handshake, fuzzed: 100,000 seeded frames (random, and mutations of
/// a real client's OPEN, DATA, BATCH, compressed BATCH, CLOSE, ACK, PING, PONG and ERROR), each with its length field
/// made to agree with its size as the framing guarantees. Every frame is handled without an exception: carried on
/// with, or refused with a defined reason, a code to send and a detail for the log.
/// </summary>
public class ReceiveFuzzTests
{
    private const int FramesPerSession = 500;

    [Fact]
    public void Any_frame_is_handled_or_refused_with_a_reason_never_thrown()
    {
        Assert.True(Lz4.IsAvailable);
        var acceptor = new Acceptor();
        TunnelSession session = NewSession(acceptor);
        var decompress = new byte[session.Options.MaxBatchBytes];
        var frame = new byte[FuzzInputs.DefaultMaxRandomLength + 64];
        var reasons = new HashSet<TunnelCloseReason>();
        int handled = 0;

        FuzzInputs.Run(seed: 2024_11, ClientFrames(), input =>
        {
            if (++handled % FramesPerSession == 0)
            {
                session = NewSession(acceptor); // a fresh session now and then, so sequence numbers match again
            }

            if (input.Length < TunnelFrameHeader.Length)
            {
                return; // the framing never hands over less than a header
            }

            input.CopyTo(frame);
            BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(input.Length - TunnelFrameHeader.Length));
            FrameOutcome outcome = session.HandleFrame(frame.AsSpan(0, input.Length), (TunnelFrameType)frame[4], decompress);

            reasons.Add(outcome.Reason);
            if (!outcome.IsContinue)
            {
                Assert.True(Enum.IsDefined(outcome.Reason));
                Assert.True(Enum.IsDefined(outcome.Code), outcome.Detail);
                Assert.False(string.IsNullOrEmpty(outcome.Detail));
            }
        });

        // The mix reaches acceptance and the session's own checks, not only the frame readers.
        Assert.Contains(TunnelCloseReason.None, reasons);
        Assert.Contains(TunnelCloseReason.ProtocolViolation, reasons);
        Assert.Contains(TunnelCloseReason.OutOfSequence, reasons);
        Assert.Contains(TunnelCloseReason.BadAcknowledgement, reasons);
        Assert.Contains(TunnelCloseReason.PeerError, reasons);
        Assert.True(acceptor.Opened > 0);
    }

    private static TunnelSession NewSession(Acceptor acceptor)
    {
        var session = new TunnelSession(new TunnelOptions(), isClient: false, acceptor);
        Assert.True(session.TryResume(0, TunnelFeatures.Lz4, TunnelFeatures.Lz4));
        return session;
    }

    /// <summary>A client's frames in the order it would send them (sequence numbers 0, 1, 2, ... on the reliable ones).</summary>
    private static byte[][] ClientFrames()
    {
        byte[] records = TunnelFrameSamples.Records((4, 30), (4, 0), (2, 7));
        var compressed = new byte[TunnelBatchFrame.CompressedHeaderLength + Lz4.CompressBound(records.Length)];
        int block = Lz4.TryCompress(records, compressed.AsSpan(TunnelBatchFrame.CompressedHeaderLength));
        Assert.True(block > 0);
        Assert.True(TunnelFrameWriter.TryWriteCompressedBatchHeader(compressed, records.Length, block));

        return
        [
            TunnelFrameSamples.Write((d, out n) => TunnelFrameWriter.TryWriteOpen(d, 2, 0, TunnelChannelKind.Scp, 17893, [127, 0, 0, 1], out n)),
            TunnelFrameSamples.Write((d, out n) => TunnelFrameWriter.TryWriteOpen(d, 4, 1, TunnelChannelKind.EieioOutput, 0, [], out n)),
            TunnelFrameSamples.Write((d, out n) => TunnelFrameWriter.TryWriteData(d, 2, 2, 100, [1, 2, 3, 4, 5], out n)),
            TunnelFrameSamples.Write((d, out n) => TunnelFrameWriter.TryWriteBatch(d, records, out n)),
            compressed[..(TunnelBatchFrame.CompressedHeaderLength + block)],
            TunnelFrameSamples.Write((d, out n) => TunnelFrameWriter.TryWriteClose(d, 2, 3, TunnelErrorCode.None, out n)),
            TunnelFrameSamples.Write((d, out n) => TunnelFrameWriter.TryWriteValue(d, TunnelFrameType.Ack, 0, out n)),
            TunnelFrameSamples.Write((d, out n) => TunnelFrameWriter.TryWriteValue(d, TunnelFrameType.Ping, 77, out n)),
            TunnelFrameSamples.Write((d, out n) => TunnelFrameWriter.TryWriteValue(d, TunnelFrameType.Pong, 77, out n)),
            TunnelFrameSamples.Write((d, out n) => TunnelFrameWriter.TryWriteError(d, TunnelErrorCode.ProtocolViolation, "bad"u8, out n)),
        ];
    }

    /// <summary>Accepts every other channel the peer opens, with a handler that records what it gets.</summary>
    private sealed class Acceptor : ITunnelChannelAcceptor
    {
        public int Opened { get; private set; }

        public ITunnelChannelHandler? OnChannelOpening(TunnelChannel channel) => ++Opened % 2 == 1 ? new RecordingHandler() : null;
    }
}
