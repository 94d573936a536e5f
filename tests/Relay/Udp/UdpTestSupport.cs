using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>Bounded waits, loopback sockets and recognisable payloads for the UDP engine tests.</summary>
internal static class UdpTestSupport
{
    /// <summary>Generous: loopback is fast, but CI machines are shared. No test asserts on timing.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    public static IPEndPoint Loopback => new(IPAddress.Loopback, 0);

    /// <summary>Two fixed loopback addresses for send-queue bookkeeping that never reaches a socket (never bound, never sent to).</summary>
    public static readonly UdpAddress DestinationA = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, 40001));

    /// <inheritdoc cref="DestinationA"/>
    public static readonly UdpAddress DestinationB = UdpAddress.FromIPEndPoint(new IPEndPoint(IPAddress.Loopback, 40002));

    /// <summary>Theory data: false = Linux fast path (epoll, recvmmsg/sendmmsg), true = portable path forced.</summary>
    public static TheoryData<bool> BothPaths => new() { false, true };

    public static UdpEventLoop NewLoop(bool portable, UdpEventLoopOptions? options = null) =>
        new((options ?? UdpEventLoopOptions.Default) with { UsePortablePoller = portable, Name = "udp-test-loop" });

    public static UdpSocket Open(bool portable, UdpSocketOptions? options = null) =>
        new(Loopback, (options ?? UdpSocketOptions.Default) with { UsePortableIo = portable });

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes; returns the last result.</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)((timeout ?? Deadline).TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return condition();
            }

            Thread.Sleep(1);
        }

        return true;
    }

    /// <summary>Receives on the calling thread until <paramref name="expected"/> datagrams arrived or the deadline passed.</summary>
    public static int ReceiveUntil(UdpSocket socket, DatagramBatch batch, int expected, Action<DatagramBatch> onBatch)
    {
        var received = 0;
        WaitUntil(() =>
        {
            while (received < expected && socket.Receive(batch) == UdpStatus.Ok)
            {
                onBatch(batch);
                received += batch.Count;
            }

            return received >= expected;
        });
        return received;
    }

    /// <summary>
    /// Receives <paramref name="count"/> datagrams of <paramref name="size"/> bytes from <paramref name="source"/> and
    /// checks they are <see cref="Fill"/>'s, sequences <paramref name="firstSequence"/> on, in order, with none missing
    /// and none extra. Datagrams from any other address are strays and skipped: the tests run in parallel, and a
    /// socket of another test may still send to a port this receiver was given after that test's socket closed.
    /// </summary>
    public static void ExpectInOrder(UdpSocket receiver, int size, int count, UdpAddress source, int firstSequence = 0)
    {
        using var batch = new DatagramBatch();
        var expected = new byte[size];
        var fromSource = 0;
        var strays = new List<string>();
        WaitUntil(() =>
        {
            while (fromSource < count && receiver.Receive(batch) == UdpStatus.Ok)
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    if (batch.GetSource(i) != source)
                    {
                        strays.Add(batch.GetSource(i).ToString());
                        continue;
                    }

                    Fill(expected, firstSequence + fromSource++);
                    Assert.Equal(expected, batch.GetPayload(i).ToArray());
                }
            }

            return fromSource >= count;
        });
        Assert.True(
            fromSource == count,
            $"{fromSource} of {count} datagrams came from {source}; {strays.Count} from elsewhere ({string.Join(", ", strays.Distinct())}).");
    }

    /// <summary>Fills <paramref name="buffer"/> with a payload identified by <paramref name="sequence"/>; returns its length (8 to 300).</summary>
    public static int WritePayload(Span<byte> buffer, int sequence)
    {
        var length = 8 + (int)((uint)(sequence * 7919) % 293);
        BinaryPrimitives.WriteInt32LittleEndian(buffer, sequence);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[4..], length);
        for (var i = 8; i < length; i++)
        {
            buffer[i] = (byte)(sequence + (i * 31));
        }

        return length;
    }

    /// <summary>Fills a datagram of any length with a pattern identified by <paramref name="sequence"/> (also its first 4 bytes).</summary>
    public static void Fill(Span<byte> datagram, int sequence)
    {
        for (var i = 0; i < datagram.Length; i++)
        {
            datagram[i] = (byte)(sequence + (i * 31));
        }

        BinaryPrimitives.WriteInt32LittleEndian(datagram, sequence);
    }

    /// <summary>Checks a payload made by <see cref="WritePayload"/>; returns its sequence, or -1 if damaged.</summary>
    public static int CheckPayload(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 8)
        {
            return -1;
        }

        var sequence = BinaryPrimitives.ReadInt32LittleEndian(payload);
        Span<byte> expected = stackalloc byte[300];
        var length = WritePayload(expected, sequence);
        return payload.SequenceEqual(expected[..length]) ? sequence : -1;
    }

    /// <summary>
    /// Sends <paramref name="count"/> recognisable datagrams from <paramref name="sender"/> to
    /// <paramref name="target"/> in bursts of 64, paced so at most ~1024 are in flight (the kernel buffers never
    /// overflow), while receiving and checking them at <paramref name="receiver"/>. Returns how many distinct,
    /// intact datagrams arrived before the deadline.
    /// </summary>
    public static int Pump(UdpSocket sender, UdpAddress target, UdpSocket receiver, int count, int firstSequence = 0)
    {
        var seen = new bool[count];
        var intact = 0;
        var received = 0;
        using var batch = new DatagramBatch();
        Span<byte> payload = stackalloc byte[300];
        var deadline = Stopwatch.GetTimestamp() + (long)(Deadline.TotalSeconds * Stopwatch.Frequency);

        void Drain()
        {
            while (receiver.Receive(batch) == UdpStatus.Ok)
            {
                received += batch.Count;
                for (var i = 0; i < batch.Count; i++)
                {
                    var index = CheckPayload(batch.GetPayload(i)) - firstSequence;
                    if ((uint)index < (uint)count && !seen[index])
                    {
                        seen[index] = true;
                        intact++;
                    }
                }
            }
        }

        for (var sent = 0; sent < count && Stopwatch.GetTimestamp() < deadline;)
        {
            for (var burstEnd = Math.Min(count, sent + 64); sent < burstEnd; sent++)
            {
                var length = WritePayload(payload, firstSequence + sent);
                sender.QueueSendTo(payload[..length], target);
            }

            sender.FlushSends();
            Drain();
            while (sent - received > 1024 && Stopwatch.GetTimestamp() < deadline)
            {
                Thread.Sleep(1);
                Drain();
            }
        }

        while (received < count && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(1);
            Drain();
        }

        return intact;
    }

    /// <summary>Queues every datagram it gets to <paramref name="to"/> on <paramref name="output"/> (the loop flushes).</summary>
    public sealed class Forwarder(UdpSocket output, UdpAddress to) : IUdpReceiver
    {
        private long _datagrams;

        public long Datagrams => Volatile.Read(ref _datagrams);

        /// <summary>Optional second destination, a connected socket (QueueSend without an address).</summary>
        public UdpSocket? AlsoTo { get; init; }

        public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                output.QueueSendTo(batch.GetPayload(i), to);
                AlsoTo?.QueueSend(batch.GetPayload(i));
            }

            Volatile.Write(ref _datagrams, _datagrams + batch.Count);
        }
    }

    /// <summary>Counts datagrams and remembers, per batch, the socket and loop iteration; optionally throws once.</summary>
    public sealed class Recorder(UdpEventLoop loop) : IUdpReceiver
    {
        private long _datagrams;

        public long Datagrams => Volatile.Read(ref _datagrams);

        public ConcurrentQueue<(UdpSocket Socket, long Iteration, bool OnLoopThread)> Batches { get; } = new();

        public bool ThrowOnFirstBatch { get; set; }

        public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
        {
            Batches.Enqueue((socket, loop.Iterations, loop.IsLoopThread));
            Volatile.Write(ref _datagrams, _datagrams + batch.Count);
            if (ThrowOnFirstBatch)
            {
                ThrowOnFirstBatch = false;
                throw new InvalidOperationException("receiver bug");
            }
        }
    }

    /// <summary>
    /// Wraps a receiver; once started, reads the loop thread's allocated-bytes counter after every batch the inner
    /// receiver handled. <see cref="Allocated"/> is what the loop thread allocated from the end of the first such
    /// batch to the end of the last: everything the loop did in between, and nothing else.
    /// </summary>
    public sealed class AllocationMeter(IUdpReceiver inner) : IUdpReceiver
    {
        private int _started;
        private long _first;
        private long _last;
        private int _samples;

        /// <summary>Batches measured so far; read it before <see cref="Allocated"/> (it publishes the samples).</summary>
        public int Samples => Volatile.Read(ref _samples);

        public long Allocated => Volatile.Read(ref _last) - Volatile.Read(ref _first);

        /// <summary>Measures from the next batch on, forgetting earlier samples. Call while no datagram is in flight.</summary>
        public void Start()
        {
            Volatile.Write(ref _samples, 0);
            Volatile.Write(ref _started, 1);
        }

        public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
        {
            inner.OnDatagrams(socket, batch);
            if (Volatile.Read(ref _started) == 0)
            {
                return;
            }

            var now = GC.GetAllocatedBytesForCurrentThread();
            if (_samples == 0)
            {
                Volatile.Write(ref _first, now);
            }

            Volatile.Write(ref _last, now);
            Volatile.Write(ref _samples, _samples + 1);
        }
    }

    /// <summary>Records the loop thread's allocated-bytes counter each time it runs.</summary>
    public sealed class AllocationProbe : IUdpLoopWork
    {
        private int _samples;

        public long First { get; private set; }

        public long Last { get; private set; }

        public int Samples => Volatile.Read(ref _samples);

        public void Execute(UdpEventLoop loop)
        {
            Last = GC.GetAllocatedBytesForCurrentThread();
            if (_samples == 0)
            {
                First = Last;
            }

            Volatile.Write(ref _samples, _samples + 1);
        }
    }

    /// <summary>Collects error reports from any thread.</summary>
    public sealed class RecordingSink : IUdpErrorSink
    {
        public ConcurrentQueue<(string? Socket, UdpOperation Operation, int Code)> Errors { get; } = new();

        public ConcurrentQueue<Exception> Faults { get; } = new();

        public void OnSocketError(UdpSocket? socket, UdpOperation operation, int errorCode) =>
            Errors.Enqueue((socket?.Name, operation, errorCode));

        public void OnCallbackFault(UdpEventLoop loop, Exception exception) => Faults.Enqueue(exception);
    }
}
