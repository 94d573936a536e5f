using FastSpinnRelay.Protocol.Spalloc;

namespace FastSpinnRelay.Protocol.Tests.Spalloc;

/// <summary>Hand-written frames from protocols.md §7.2 (all words little-endian), and rewriting through the writers.</summary>
internal static class SpallocFrameSamples
{
    /// <summary>Client → server frames: OPEN, CLOSE, MSG, OPEN_UNBOUND, MSG_TO, in op order.</summary>
    public static readonly string[] Client =
    [
        "00000000 07000000 01000000 02000000 E5450000",            // OPEN corr 7, (1, 2), port 17893
        "01000000 07000000 2A000000",                              // CLOSE corr 7, channel 42
        "02000000 2A000000 0000 01020304",                         // MSG channel 42, SDP pad + 4 bytes
        "03000000 08000000",                                       // OPEN_UNBOUND corr 8
        "04000000 2B000000 00000000 00000000 E5450000 AABB",       // MSG_TO channel 43, (0, 0), 17893, 2 bytes
    ];

    /// <summary>Server → client frames: OPEN, CLOSE replies, MSG, OPEN_UNBOUND reply, ERROR.</summary>
    public static readonly string[] Server =
    [
        "00000000 07000000 2A000000",                              // OPEN reply corr 7, channel 42
        "01000000 07000000 00000000",                              // CLOSE reply corr 7, "was not open"
        "02000000 2A000000 DEAD",                                  // MSG channel 42
        "03000000 08000000 2B000000 7F000001 39300000",            // OPEN_UNBOUND reply corr 8, ch 43, 127.0.0.1:12345
        "05000000 07000000 62616420706F7274206E756D626572",        // ERROR corr 7 "bad port number"
    ];

    /// <summary>Rewrites an accepted client frame with <see cref="SpallocFrameWriter"/>; returns bytes written or -1 on false.</summary>
    public static int RewriteClient(ReadOnlySpan<byte> frame, Span<byte> destination)
    {
        Assert.Equal(SpallocFrameError.None, SpallocClientFrame.TryRead(frame, out SpallocClientFrame f));
        bool ok;
        int written;
        switch (f.Op)
        {
            case SpallocOp.Open: ok = SpallocFrameWriter.TryWriteOpen(destination, f.CorrelationId, f.ChipX, f.ChipY, f.Port, out written); break;
            case SpallocOp.Close: ok = SpallocFrameWriter.TryWriteClose(destination, f.CorrelationId, f.ChannelId, out written); break;
            case SpallocOp.Message: ok = SpallocFrameWriter.TryWriteMessage(destination, f.ChannelId, f.Payload, out written); break;
            case SpallocOp.OpenUnbound: ok = SpallocFrameWriter.TryWriteOpenUnbound(destination, f.CorrelationId, out written); break;
            default: ok = SpallocFrameWriter.TryWriteMessageTo(destination, f.ChannelId, f.ChipX, f.ChipY, f.Port, f.Payload, out written); break;
        }

        return Result(ok, written);
    }

    /// <summary>Rewrites an accepted server frame with <see cref="SpallocFrameWriter"/>; returns bytes written or -1 on false.</summary>
    public static int RewriteServer(ReadOnlySpan<byte> frame, Span<byte> destination)
    {
        Assert.Equal(SpallocFrameError.None, SpallocServerFrame.TryRead(frame, out SpallocServerFrame f));
        bool ok;
        int written;
        switch (f.Op)
        {
            case SpallocOp.Open: ok = SpallocFrameWriter.TryWriteOpenReply(destination, f.CorrelationId, f.ChannelId, out written); break;
            case SpallocOp.Close: ok = SpallocFrameWriter.TryWriteCloseReply(destination, f.CorrelationId, f.ChannelId, out written); break;
            case SpallocOp.Message: ok = SpallocFrameWriter.TryWriteMessage(destination, f.ChannelId, f.Payload, out written); break;
            case SpallocOp.OpenUnbound:
                ok = SpallocFrameWriter.TryWriteOpenUnboundReply(destination, f.CorrelationId, f.ChannelId, f.Ipv4Address, f.Port, out written);
                break;
            default: ok = SpallocFrameWriter.TryWriteError(destination, f.CorrelationId, f.ErrorUtf8, out written); break;
        }

        return Result(ok, written);
    }

    private static int Result(bool ok, int written)
    {
        if (!ok)
        {
            Assert.Equal(0, written);
            return -1;
        }

        return written;
    }
}
