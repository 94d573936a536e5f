using System.Buffers;
using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Internal;

namespace FastSpinnRelay.Tunnel.Tests.Internal;

public class ReplayBufferTests
{
    [Fact]
    public void Frames_are_kept_until_acknowledged_and_a_full_buffer_refuses_user_frames()
    {
        var replay = new ReplayBuffer(capacity: 100, reserve: 40);
        Assert.True(Append(replay, 30, reserve: false));
        Assert.True(Append(replay, 30, reserve: false));
        Assert.True(Append(replay, 30, reserve: false));
        Assert.False(Append(replay, 30, reserve: false)); // 120 > 100
        Assert.True(Append(replay, 30, reserve: true));   // the reserve takes protocol answers

        var output = new ArrayBufferWriter<byte>();
        Assert.Equal(120, replay.WriteUnsent(output, int.MaxValue));
        Assert.False(replay.Acknowledge(5)); // only 4 were written
        Assert.True(replay.Acknowledge(2));
        Assert.Equal(60, replay.UsedBytes);
        Assert.True(Append(replay, 30, reserve: false));
    }

    [Fact]
    public void Resume_drops_what_the_peer_has_and_rewinds_the_rest()
    {
        var replay = new ReplayBuffer(capacity: 1000, reserve: 0);
        for (int i = 0; i < 5; i++)
        {
            Append(replay, 20 + i, reserve: false);
        }

        replay.WriteUnsent(new ArrayBufferWriter<byte>(), int.MaxValue);
        Assert.False(replay.Resume(6));
        Assert.True(replay.Resume(3));

        var output = new ArrayBufferWriter<byte>();
        replay.WriteUnsent(output, int.MaxValue);
        Assert.Equal([3ul, 4ul], Sequences(output.WrittenSpan));
        Assert.False(replay.Resume(2)); // below what was acknowledged
    }

    /// <summary>A random walk of appends, partial writes, acks and resumes against a plain list, wrapping the ring many times.</summary>
    [Fact]
    public void Random_operations_match_a_simple_model()
    {
        var rng = new Random(5);
        var replay = new ReplayBuffer(capacity: 2000, reserve: 100);
        var model = new List<(ulong Sequence, int Length)>();
        ulong next = 0;
        ulong sent = 0;
        ulong acked = 0;
        for (int step = 0; step < 100_000; step++)
        {
            switch (rng.Next(4))
            {
                case 0:
                case 1:
                    int length = rng.Next(20, 300);
                    bool fits = replay.HasRoomFor(length);
                    Assert.Equal(fits, Append(replay, length, reserve: false));
                    Assert.True(!fits || model.Sum(m => m.Length) + length <= 2000);
                    if (fits)
                    {
                        model.Add((next++, length));
                    }

                    break;
                case 2:
                    var output = new ArrayBufferWriter<byte>();
                    replay.WriteUnsent(output, rng.Next(1, 700));
                    foreach (ulong sequence in Sequences(output.WrittenSpan))
                    {
                        Assert.Equal(sent++, sequence);
                    }

                    break;
                default:
                    ulong ack = acked + (ulong)rng.Next(0, (int)(sent - acked) + 1);
                    if (rng.Next(10) == 0)
                    {
                        Assert.True(replay.Resume(ack));
                        sent = ack;
                    }
                    else
                    {
                        Assert.True(replay.Acknowledge(ack));
                    }

                    model.RemoveAll(m => m.Sequence < ack);
                    acked = ack;
                    break;
            }

            Assert.Equal(model.Sum(m => m.Length), replay.UsedBytes);
        }

        Assert.True(next > 10_000, $"only {next} frames appended");
    }

    private static bool Append(ReplayBuffer replay, int frameLength, bool reserve)
    {
        if (!replay.TryAppend(frameLength, reserve, out Span<byte> frame, out ulong sequence))
        {
            return false;
        }

        TunnelFrameWriter.TryWriteData(frame, 2, sequence, 0, new byte[frameLength - TunnelDataFrame.HeaderLength], out _);
        return true;
    }

    private static List<ulong> Sequences(ReadOnlySpan<byte> frames)
    {
        var sequences = new List<ulong>();
        while (!frames.IsEmpty)
        {
            int length = 8 + (int)BinaryPrimitives.ReadUInt32BigEndian(frames);
            Assert.Equal(TunnelFrameError.None, TunnelDataFrame.TryRead(frames[..length], out TunnelDataFrame data));
            sequences.Add(data.Sequence);
            frames = frames[length..];
        }

        return sequences;
    }
}
