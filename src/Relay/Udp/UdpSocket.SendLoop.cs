using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Udp;

public sealed partial class UdpSocket
{
    /// <summary>
    /// The one send loop behind <see cref="FlushSends"/>, <see cref="SendBatch"/> and the in-place sends: hands the
    /// messages of <paramref name="messages"/> to the kernel (sendmmsg, repeated until done) and counts what it sent:
    /// <paramref name="sent"/> datagrams (a GSO message counts each datagram it carries) of <paramref name="bytes"/>
    /// bytes. A pending ICMP error that comes back instead of a message is counted and that message retried once; any
    /// other error on a message sends its datagrams one by one, so each meets (and is counted for) its own error.
    /// Generic over a struct so each caller gets its own specialised, allocation-free copy.
    /// </summary>
    /// <returns>
    /// <see cref="UdpStatus.Ok"/> when every message was sent or dropped for its error; <see cref="UdpStatus.WouldBlock"/>
    /// when the send buffer filled (the rest are left, from <c>messages</c>' position on); <see cref="UdpStatus.Closed"/>.
    /// </returns>
    private UdpStatus SendAllMessages<T>(ref T messages, out int sent, out long bytes)
        where T : struct, IOutgoingMessages
    {
        var status = UdpStatus.Ok;
        var retriedAt = -1;
        sent = 0;
        bytes = 0;
        while (messages.HasMore)
        {
            var result = IsDisposed ? new IoResult(0, IoError.Closed, 0) : messages.Send(_io);
            messages.Advance(result.Count, ref sent, ref bytes);
            if (result.Error == IoError.None)
            {
                continue;
            }

            if (result.Error == IoError.WouldBlock)
            {
                status = UdpStatus.WouldBlock;
                break;
            }

            if (result.Error == IoError.Closed)
            {
                status = UdpStatus.Closed;
                break;
            }

            if (result.Error == IoError.PeerUnreachable && retriedAt != messages.Position)
            {
                // The kernel reported a pending ICMP error instead of sending this message: count it, retry once.
                Interlocked.Increment(ref _icmpErrors);
                retriedAt = messages.Position;
                continue;
            }

            messages.SendFailedOneByOne(this, result, ref sent, ref bytes);
        }

        AccountSent(sent, bytes);
        return status;
    }

    /// <summary>
    /// Sends one datagram of a message that failed as a whole, counting it in <paramref name="sent"/> and
    /// <paramref name="bytes"/>, or its failure in the socket's counters.
    /// </summary>
    private void SendSingle(ReadOnlySpan<byte> datagram, in UdpAddress destination, ref int sent, ref long bytes)
    {
        var result = IsDisposed ? new IoResult(0, IoError.Closed, 0) : _io.SendOne(datagram, destination);
        if (result.Count == 1)
        {
            sent++;
            bytes += datagram.Length;
        }
        else
        {
            AccountSendFailure(result);
        }
    }

    /// <summary>What <see cref="SendAllMessages"/> sends from: a run of prepared sendmmsg messages and a position in it.</summary>
    private interface IOutgoingMessages
    {
        /// <summary>True while messages remain to be sent.</summary>
        bool HasMore { get; }

        /// <summary>Where the next message starts (the source's own unit); the same value means the same message.</summary>
        int Position { get; }

        /// <summary>One sendmmsg of the messages from <see cref="Position"/> on; the result counts messages taken.</summary>
        IoResult Send(DatagramIo io);

        /// <summary>Moves past the first <paramref name="messages"/> messages of the last <see cref="Send"/>, counting them.</summary>
        void Advance(int messages, ref int sent, ref long bytes);

        /// <summary>The next message failed with <paramref name="failure"/>: deals with its datagrams singly and moves past it.</summary>
        void SendFailedOneByOne(UdpSocket socket, IoResult failure, ref int sent, ref long bytes);
    }

    /// <summary>Slots [<see cref="Head"/>, end) of a <see cref="MessageBuffer"/>: one message per slot, a packed slot one GSO message.</summary>
    private struct QueuedSlots(MessageBuffer queue, int head, int end) : IOutgoingMessages
    {
        /// <summary>The first slot not yet sent or dropped.</summary>
        public int Head = head;

        public readonly bool HasMore => Head < end;

        public readonly int Position => Head;

        public readonly IoResult Send(DatagramIo io) => io.SendBatch(queue, Head, end - Head);

        public void Advance(int messages, ref int sent, ref long bytes)
        {
            for (var i = 0; i < messages; i++)
            {
                bytes += queue.OutgoingLength(Head + i);
                sent += queue.Datagrams(Head + i);
            }

            Head += messages;
        }

        public void SendFailedOneByOne(UdpSocket socket, IoResult failure, ref int sent, ref long bytes)
        {
            if (queue.Datagrams(Head) > 1)
            {
                socket.SendUnpacked(queue, Head, ref sent, ref bytes);
            }
            else
            {
                socket.AccountSendFailure(failure); // a single datagram has met its own error already
            }

            Head++;
        }
    }

    /// <summary>
    /// The datagrams of a <see cref="UdpInPlaceBatch"/> from <see cref="Next"/> on, built into at most
    /// <see cref="UdpInPlaceBatch.MaxMessages"/> messages per send (GSO groups while the socket segments).
    /// </summary>
    private struct InPlaceDatagrams(UdpInPlaceBatch batch) : IOutgoingMessages
    {
        /// <summary>The first datagram not yet sent or dropped.</summary>
        public int Next;

        // The message of the last build that holds Next.
        private int _message;

        public readonly bool HasMore => Next < batch.Count;

        public readonly int Position => Next;

        public IoResult Send(DatagramIo io)
        {
            // Built afresh for every call: segmentation may have been refused (and turned off) by the previous one.
            var messages = batch.Build(Next, io.Segmentation);
            _message = 0;
            return io.SendMessages(batch, messages);
        }

        public void Advance(int messages, ref int sent, ref long bytes)
        {
            for (var end = _message + messages; _message < end; _message++)
            {
                for (var last = Next + batch.DatagramsIn(_message); Next < last; Next++)
                {
                    bytes += batch.Datagram(Next).Length;
                    sent++;
                }
            }
        }

        public void SendFailedOneByOne(UdpSocket socket, IoResult failure, ref int sent, ref long bytes)
        {
            for (var last = Next + batch.DatagramsIn(_message); Next < last; Next++)
            {
                socket.SendSingle(batch.Datagram(Next), default, ref sent, ref bytes);
            }

            _message++;
        }
    }
}
