using System.Buffers.Binary;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Tests.TestSupport;

namespace FastSpinnRelay.Tunnel.Tests.Session;

/// <summary>A bad frame ends that connection with a logged reason; the authenticated session resumes and loses nothing.</summary>
public class BadInputTests
{
    public static TheoryData<string> Corruptions => ["reserved flag", "out of sequence", "oversized", "unknown type", "truncated body"];

    [Theory]
    [MemberData(nameof(Corruptions))]
    public async Task A_corrupted_frame_resets_the_connection_and_the_session_resumes(string corruption)
    {
        await using var link = new FaultyLink();
        await using TunnelPair pair = await TunnelPair.StartAsync(link, link);
        TunnelChannel scp = pair.Client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, new RecordingHandler());
        byte[][] datagrams = ResumeTests.Datagrams(seed: 7, count: 200, minLength: 8, maxLength: 300);

        for (int i = 0; i < datagrams.Length; i++)
        {
            if (i == 100)
            {
                link.TamperOnce(frame => frame[4] == (byte)TunnelFrameType.Data ? Corrupt(frame, corruption) : null);
            }

            Assert.Equal(TunnelSendStatus.Sent, await scp.SendAsync(datagrams[i]));
        }

        RecordingHandler board = await ResumeTests.Delivered(pair.ServerAcceptor, scp.Id, datagrams.Length, pair.Client.Session);
        Assert.False(link.TamperPending);
        Assert.Equal(datagrams, board.Datagrams);
        Assert.True(pair.Client.Handshakes >= 2);
        string expected = corruption switch
        {
            "out of sequence" => "OutOfSequence",
            "oversized" => "FrameTooLarge",
            "truncated body" => "ProtocolViolation",
            _ => "ProtocolViolation",
        };
        Assert.True(pair.Log.Contains(expected), pair.Log.ToString());
        Assert.True(pair.Log.Contains("the session stays resumable"), pair.Log.ToString());
    }

    private static byte[] Corrupt(byte[] frame, string corruption)
    {
        byte[] copy = [.. frame];
        switch (corruption)
        {
            case "reserved flag":
                copy[5] = 0x80;
                return copy;
            case "out of sequence":
                BinaryPrimitives.WriteUInt64BigEndian(copy.AsSpan(8), BinaryPrimitives.ReadUInt64BigEndian(copy.AsSpan(8)) + 5);
                return copy;
            case "oversized":
                BinaryPrimitives.WriteUInt32BigEndian(copy, 10_000_000);
                return copy;
            case "unknown type":
                copy[4] = 0x7F;
                return copy;
            default: // a DATA frame whose body is shorter than the DATA header
                BinaryPrimitives.WriteUInt32BigEndian(copy, 4);
                return copy.AsSpan(0, 12).ToArray();
        }
    }
}
