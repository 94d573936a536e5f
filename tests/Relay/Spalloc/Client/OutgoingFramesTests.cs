using FastSpinnRelay.Protocol.Spalloc;
using FastSpinnRelay.Relay.Spalloc.Client.Internal;

namespace FastSpinnRelay.Relay.Tests.Spalloc.Client;

/// <summary>The client's outgoing frame queue: frames come out whole and in order, and a full queue refuses (and counts) instead of growing or blocking.</summary>
public class OutgoingFramesTests
{
    [Fact]
    public void Frames_come_out_whole_and_in_order()
    {
        var queue = new OutgoingFrames(1 << 16);
        byte[] first = [1, 2, 3];
        byte[] second = [4, 5];
        var message = new MessageFrame(7, first);
        Assert.True(queue.TryAppend(message.Length, message));
        var messageTo = new MessageToFrame(9, 1, 2, 17893, second);
        Assert.True(queue.TryAppend(messageTo.Length, messageTo));

        var (buffer, length) = queue.Take();
        var offset = OutgoingFrames.Next(buffer, 0, out var a);
        offset = OutgoingFrames.Next(buffer, offset, out var b);
        Assert.Equal(length, offset);
        Assert.Equal(SpallocFrameError.None, SpallocClientFrame.TryRead(a.Span, out var frameA));
        Assert.Equal((SpallocOp.Message, 7u), (frameA.Op, frameA.ChannelId));
        Assert.Equal(first, frameA.Payload.ToArray());
        Assert.Equal(SpallocFrameError.None, SpallocClientFrame.TryRead(b.Span, out var frameB));
        Assert.Equal((SpallocOp.MessageTo, 9u, 1u, 2u, 17893u), (frameB.Op, frameB.ChannelId, frameB.ChipX, frameB.ChipY, frameB.Port));
        Assert.Equal(second, frameB.Payload.ToArray());
        queue.Return(buffer);
        Assert.Equal(0, queue.Take().Length);
    }

    [Fact]
    public void A_full_queue_refuses_and_counts_until_the_sender_takes_it()
    {
        var payload = new byte[100];
        var queue = new OutgoingFrames(1000);
        var frame = new MessageFrame(1, payload);
        var accepted = 0;
        while (queue.TryAppend(frame.Length, frame))
        {
            accepted++;
        }

        Assert.Equal(1000 / (4 + 108), accepted);
        Assert.Equal(1, queue.Dropped);
        var (buffer, _) = queue.Take();
        queue.Return(buffer);
        Assert.True(queue.TryAppend(frame.Length, frame));
    }
}
