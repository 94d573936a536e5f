using System.Buffers;
using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Tests.TestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Internal;

/// <summary>What the send loop writes first: reliable frames before any queued EIEIO batch.</summary>
public class PriorityTests
{
    [Fact]
    public void Reliable_frames_are_written_before_queued_batches()
    {
        var session = new TunnelSession(new TunnelOptions(), isClient: true, acceptor: null);
        session.TryResume(0, TunnelFeatures.None, TunnelFeatures.None);
        TunnelChannel live = session.OpenChannel(TunnelChannelKind.EieioOutput, TunnelTarget.Default, new RecordingHandler());
        for (int i = 0; i < 100; i++)
        {
            live.TrySend(SpikeStream.Packet(i, 64, 1000)); // the flood is queued first
        }

        TunnelChannel scp = session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        scp.TrySend([1, 2, 3]);

        var output = new ArrayBufferWriter<byte>();
        byte[] batch = new byte[session.Options.MaxBatchBytes];
        while (session.WritePending(output, batch) > 0)
        {
        }

        List<TunnelFrameType> types = Types(output.WrittenSpan);
        Assert.Equal([TunnelFrameType.Open, TunnelFrameType.Open, TunnelFrameType.Data], types.Take(3));
        Assert.All(types.Skip(3), t => Assert.Equal(TunnelFrameType.Batch, t));
        Assert.Equal(100, session.GetCounters().LatestDatagramsQueued);
        Assert.InRange(types.Count - 3, 2, 100); // several batches of whole records
    }

    [Fact]
    public void A_reliable_frame_queued_between_batches_goes_before_the_next_batch()
    {
        var session = new TunnelSession(new TunnelOptions(), isClient: true, acceptor: null);
        session.TryResume(0, TunnelFeatures.None, TunnelFeatures.None);
        TunnelChannel live = session.OpenChannel(TunnelChannelKind.EieioOutput, TunnelTarget.Default, new RecordingHandler());
        TunnelChannel scp = session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        for (int i = 0; i < 800; i++) // 210 KB of records: more than one pass's 8 batches of 16 KiB
        {
            live.TrySend(SpikeStream.Packet(i, 64, 1000));
        }

        var output = new ArrayBufferWriter<byte>();
        byte[] batch = new byte[session.Options.MaxBatchBytes];
        session.WritePending(output, batch); // the two OPENs and the first 8 batches
        Assert.Equal(2 + 8, Types(output.WrittenSpan).Count);
        scp.TrySend([9]);
        var next = new ArrayBufferWriter<byte>();
        session.WritePending(next, batch);

        List<TunnelFrameType> types = Types(next.WrittenSpan);
        Assert.Equal([TunnelFrameType.Data, TunnelFrameType.Batch], types[..2]);
        Assert.All(types[1..], t => Assert.Equal(TunnelFrameType.Batch, t));
    }

    private static List<TunnelFrameType> Types(ReadOnlySpan<byte> frames)
    {
        var types = new List<TunnelFrameType>();
        while (!frames.IsEmpty)
        {
            types.Add((TunnelFrameType)frames[4]);
            frames = frames[(8 + (int)BinaryPrimitives.ReadUInt32BigEndian(frames))..];
        }

        return types;
    }
}
