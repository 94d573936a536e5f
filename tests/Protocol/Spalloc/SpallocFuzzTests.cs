using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Spalloc;
using FastSpinnRelay.Protocol.Tests.TestSupport;

namespace FastSpinnRelay.Protocol.Tests.Spalloc;

/// <summary>
/// 100,000 seeded inputs per direction. Every outcome must match an independent model of §7.2/§7.3, and every
/// accepted frame must be rewritten byte for byte by <see cref="SpallocFrameWriter"/>.
/// </summary>
public class SpallocFuzzTests
{
    private const int Seed = 7_2_2024;
    private const int MaxRandomLength = 40;

    [Fact]
    public void Client_reader_agrees_with_a_model_and_accepted_frames_round_trip()
    {
        byte[][] corpus = [.. SpallocFrameSamples.Client.Select(Hex.Bytes)];
        var rewritten = new byte[256];
        int accepted = 0;

        FuzzInputs.Run(Seed, corpus, MaxRandomLength, input =>
        {
            SpallocFrameError error = SpallocClientFrame.TryRead(input, out SpallocClientFrame frame);

            Assert.Equal(Expected(input, fromClient: true), error);
            if (error == SpallocFrameError.None)
            {
                accepted++;
                int length = SpallocFrameSamples.RewriteClient(input, rewritten);
                Assert.True(input.SequenceEqual(rewritten.AsSpan(0, length)));
            }
            else if (error != SpallocFrameError.BadPort)
            {
                Assert.Equal(default, frame.Op);
                Assert.Equal(0u, frame.CorrelationId | frame.ChannelId | frame.Port);
            }
        });

        Assert.InRange(accepted, 1000, FuzzInputs.Count);
    }

    [Fact]
    public void Server_reader_agrees_with_a_model_and_accepted_frames_round_trip()
    {
        byte[][] corpus = [.. SpallocFrameSamples.Server.Select(Hex.Bytes)];
        var rewritten = new byte[256];
        int accepted = 0;

        FuzzInputs.Run(Seed + 1, corpus, MaxRandomLength, input =>
        {
            SpallocFrameError error = SpallocServerFrame.TryRead(input, out _);

            Assert.Equal(Expected(input, fromClient: false), error);
            if (error == SpallocFrameError.None)
            {
                accepted++;
                int length = SpallocFrameSamples.RewriteServer(input, rewritten); // inputs stay far below the 1000-byte text cut
                Assert.True(input.SequenceEqual(rewritten.AsSpan(0, length)));
            }
        });

        Assert.InRange(accepted, 1000, FuzzInputs.Count);
    }

    /// <summary>The rules of protocols.md §7.2/§7.3 written out independently of the readers.</summary>
    private static SpallocFrameError Expected(ReadOnlySpan<byte> input, bool fromClient)
    {
        if (input.Length < 4)
        {
            return SpallocFrameError.TooShort;
        }

        uint op = BinaryPrimitives.ReadUInt32LittleEndian(input);
        if (op > 5)
        {
            return SpallocFrameError.UnknownOp;
        }

        if ((fromClient && op == 5) || (!fromClient && op == 4))
        {
            return SpallocFrameError.OpNotAllowed;
        }

        int[] exact = fromClient ? [20, 12, -8, 8, -20] : [12, 12, -8, 20, 0, -8];
        int rule = exact[op];
        if (rule < 0 ? input.Length < -rule : input.Length != rule)
        {
            return rule < 0 ? SpallocFrameError.TooShort : SpallocFrameError.WrongLength;
        }

        bool hasPort = fromClient ? op is 0 or 4 : op == 3;
        uint port = hasPort ? BinaryPrimitives.ReadUInt32LittleEndian(input[16..]) : 1;
        return port is >= 1 and <= 65535 ? SpallocFrameError.None : SpallocFrameError.BadPort;
    }
}
