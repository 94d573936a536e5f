using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Emulator.Internal;

/// <summary>
/// Fault injection for <see cref="EmulatorOptions.ReplyDelay"/>: replies wait here for their due time, then a
/// dedicated thread sends them from the SCP socket and frees their transient tag. Because the tag stays taken
/// while the reply waits, more than 8 delayed replies exhaust the board's pool exactly as slow replies do on a real
/// board. A fixed ring of preallocated slots (the delay is constant, so due times are in order); when it is full
/// the reply is refused and counted. Enqueueing never allocates.
/// </summary>
internal sealed class DelayedReplyQueue : IDisposable
{
    /// <summary>Most replies waiting at once (8 transient tags, plus replies through fixed tags).</summary>
    public const int Capacity = 64;

    private readonly Slot[] slots = new Slot[Capacity];
    private readonly object gate = new();
    private readonly Socket socket;
    private readonly IpTagTable tags;
    private readonly EmulatorCounters counters;
    private readonly long delayTicks;
    private readonly Thread thread;
    private int head;
    private int count;
    private bool stopping;

    public DelayedReplyQueue(Socket socket, IpTagTable tags, EmulatorCounters counters, TimeSpan delay)
    {
        this.socket = socket;
        this.tags = tags;
        this.counters = counters;
        delayTicks = (long)(delay.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; i < Capacity; i++)
        {
            slots[i] = new Slot();
        }

        thread = new Thread(Run) { IsBackground = true, Name = "emulator delayed replies" };
        thread.Start();
    }

    /// <summary>
    /// Queues a reply for <paramref name="destination"/> whose transient <paramref name="tag"/> (−1 for none) was
    /// taken at <paramref name="nowTicks"/>; false when the queue is full (the caller drops it and frees the tag).
    /// </summary>
    public bool TryEnqueue(ReadOnlySpan<byte> reply, SocketAddress destination, int tag, long nowTicks)
    {
        lock (gate)
        {
            if (count == Capacity || stopping)
            {
                return false;
            }

            var slot = slots[(head + count) % Capacity];
            reply.CopyTo(slot.Buffer);
            slot.Length = reply.Length;
            SocketAddresses.Copy(destination, slot.Destination);
            slot.Tag = tag;
            slot.AllocatedAtTicks = nowTicks;
            slot.DueTicks = nowTicks + delayTicks;
            count++;
            if (count == 1)
            {
                Monitor.Pulse(gate);
            }

            return true;
        }
    }

    /// <summary>Stops the thread (bounded wait); replies still queued are never sent.</summary>
    public void Dispose()
    {
        lock (gate)
        {
            stopping = true;
            Monitor.Pulse(gate);
        }

        thread.Join(TimeSpan.FromSeconds(2));
    }

    private void Run()
    {
        while (true)
        {
            Slot slot;
            lock (gate)
            {
                while (true)
                {
                    if (stopping)
                    {
                        return;
                    }

                    if (count > 0)
                    {
                        var wait = slots[head].DueTicks - Stopwatch.GetTimestamp();
                        if (wait <= 0)
                        {
                            break;
                        }

                        Monitor.Wait(gate, (int)Math.Max(1, wait * 1000 / Stopwatch.Frequency));
                    }
                    else
                    {
                        Monitor.Wait(gate);
                    }
                }

                // The head slot stays ours until count goes down: the producer only fills slots after it.
                slot = slots[head];
            }

            Send(slot);
            tags.ReleaseTransient(slot.Tag, slot.AllocatedAtTicks);
            lock (gate)
            {
                head = (head + 1) % Capacity;
                count--;
            }
        }
    }

    private void Send(Slot slot)
    {
        try
        {
            socket.SendTo(slot.Buffer.AsSpan(0, slot.Length), SocketFlags.None, slot.Destination);
            counters.CountReply();
        }
        catch (SocketException)
        {
            counters.CountDrop(ScpDropReason.SendFailed);
        }
        catch (ObjectDisposedException)
        {
            // The emulator is shutting down.
        }
    }

    private sealed class Slot
    {
        public readonly byte[] Buffer = new byte[SdpConstants.MaxDatagramLength];
        public readonly SocketAddress Destination = SocketAddresses.NewBuffer();
        public int Length;
        public int Tag;
        public long AllocatedAtTicks;
        public long DueTicks;
    }
}
