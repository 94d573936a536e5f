using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator.Internal;

namespace FastSpinnRelay.Relay.Emulator;

/// <summary>The SCP port: what happens to each datagram before and after the command runs.</summary>
public sealed partial class BoardEmulator
{
    private readonly SparseMemory memory = new();
    private readonly ScpCommandHandler commands;
    private readonly DelayedReplyQueue? delayedReplies;
    private readonly byte[] replyBuffer = new byte[SdpConstants.MaxDatagramLength];

    /// <summary>Reply-wanted requests seen, for <see cref="EmulatorOptions.DropOneInN"/> (SCP thread only).</summary>
    private long replyWantedCount;

    /// <summary>
    /// One datagram on the SCP port, as SC&amp;MP's <c>udp_pkt</c> treats it: oversized → silent drop; too short for
    /// cmd/seq → counted as malformed; no reply wanted → executed, no reply; otherwise a transient tag is taken for
    /// the reply (pool exhausted → silent drop), the command runs, and the reply goes from this socket to the
    /// requester's address and port (now, or after <see cref="EmulatorOptions.ReplyDelay"/>), freeing the tag.
    /// </summary>
    private void OnScpDatagram(ReadOnlySpan<byte> datagram, SocketAddress sender)
    {
        Counters.CountScpDatagram();
        if (datagram.Length > SdpConstants.MaxDatagramLength)
        {
            Counters.CountDrop(ScpDropReason.TooLong);
            return;
        }

        if (SdpDatagram.TryRead(datagram, out var sdp) != SdpError.None || datagram.Length < ScpMessage.MinLength)
        {
            Counters.CountMalformed(ScpError.TooShort);
            return;
        }

        if (!sdp.Header.ReplyWanted)
        {
            commands.Execute(datagram, sender, sdp.Header.Tag, replyBuffer);
            return;
        }

        if (Options.DropOneInN > 0 && ++replyWantedCount % Options.DropOneInN == 0)
        {
            Counters.CountDrop(ScpDropReason.FaultInjection);
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var tag = sdp.Header.Tag;
        SocketAddress destination;
        var transient = tag == SdpConstants.TagNone;
        if (transient)
        {
            var allocated = Tags.AllocateTransient(sender, now);
            if (allocated < 0)
            {
                Counters.CountDrop(ScpDropReason.TransientPoolExhausted);
                return;
            }

            tag = (byte)allocated;
            destination = sender;
        }
        else if (Tags.Get(tag)?.DestinationAddress is { } tagDestination)
        {
            // A host asking for the reply through a fixed tag: it leaves through that tag, as on a real board.
            destination = tagDestination;
        }
        else
        {
            Counters.CountDrop(ScpDropReason.ReplyTagNotSet);
            return;
        }

        var length = commands.Execute(datagram, sender, tag, replyBuffer);
        if (delayedReplies is not null)
        {
            if (!delayedReplies.TryEnqueue(replyBuffer.AsSpan(0, length), destination, transient ? tag : -1, now))
            {
                Counters.CountDrop(ScpDropReason.DelayQueueFull);
                ReleaseIfTransient(transient, tag, now);
            }

            return;
        }

        Send(replyBuffer.AsSpan(0, length), destination);
        ReleaseIfTransient(transient, tag, now);
    }

    private void Send(ReadOnlySpan<byte> reply, SocketAddress destination)
    {
        try
        {
            scpPump.Socket.SendTo(reply, SocketFlags.None, destination);
            Counters.CountReply();
        }
        catch (SocketException)
        {
            Counters.CountDrop(ScpDropReason.SendFailed);
        }
        catch (ObjectDisposedException)
        {
            // Shutting down.
        }
    }

    private void ReleaseIfTransient(bool transient, int tag, long allocatedAtTicks)
    {
        if (transient)
        {
            Tags.ReleaseTransient(tag, allocatedAtTicks);
        }
    }
}
