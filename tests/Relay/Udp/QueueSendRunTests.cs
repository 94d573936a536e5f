using FastSpinnRelay.Relay.Udp;
using FastSpinnRelay.Relay.Udp.Internal;
using FastSpinnRelay.Tests.Shared;
using static FastSpinnRelay.Relay.Tests.Udp.UdpTestSupport;

namespace FastSpinnRelay.Relay.Tests.Udp;

/// <summary>
/// <see cref="UdpSocket.QueueSendRunTo{TSource}"/> must leave exactly what <see cref="UdpSocket.QueueSendTo"/> would,
/// datagram by datagram: the same slots and packing, the same flushes and drops when the queue is full, the same
/// counters. Two sockets whose I/O records every message instead of sending it get the same calls; the records match.
/// </summary>
public class QueueSendRunTests
{
    private static readonly UdpAddress A = DestinationA;
    private static readonly UdpAddress B = DestinationB;

    [Fact]
    public void A_run_packs_into_the_slot_the_queue_already_had_for_its_destination_and_size()
    {
        using var pair = new Pair(slots: 4, slotBytes: 200);
        pair.Both(s => s.QueueSendTo(Datagram(24, 1), A));
        pair.Both(s => s.QueueSendTo(Datagram(24, 2), A));

        Assert.Equal(3, pair.QueueBoth(A, Sizes(3, 24), first: 10));

        Assert.Equal(5, pair.Run.QueuedSendCount);
        pair.FlushAndCompare();
        Assert.Equal([(5, 24, 120)], pair.Records.Select(r => (r.Datagrams, r.SegmentSize, r.Payload.Length)));
    }

    [Fact]
    public void A_run_longer_than_a_slot_opens_the_next_and_a_full_queue_flushes_itself()
    {
        using var pair = new Pair(slots: 2, slotBytes: 100); // four 24-byte datagrams per slot
        Assert.Equal(20, pair.QueueBoth(A, Sizes(20, 24)));

        pair.FlushAndCompare();
        Assert.Equal(Enumerable.Repeat(4, 5), pair.Records.Select(r => r.Datagrams));
        Assert.Equal(20, pair.Run.GetCounters().DatagramsOut);
    }

    [Fact]
    public void Mixed_sizes_a_larger_than_a_slot_datagram_and_another_destination_behind_it_keep_their_order()
    {
        using var pair = new Pair(slots: 8, slotBytes: 200);
        pair.Both(s => s.QueueSendTo(Datagram(24, 1), B));
        Assert.Equal(9, pair.QueueBoth(A, [24, 24, 30, 30, 24, 300, 24, 24, 1453]));
        pair.Both(s => s.QueueSendTo(Datagram(24, 2), A));

        pair.FlushAndCompare();
    }

    [Fact]
    public void When_the_queue_is_full_and_the_kernel_takes_nothing_the_rest_of_the_run_is_dropped_and_counted()
    {
        using var pair = new Pair(slots: 2, slotBytes: 48); // two 24-byte datagrams per slot
        pair.Script(Enumerable.Repeat((0, IoError.WouldBlock), 10).ToArray());

        Assert.Equal(4, pair.QueueBoth(A, Sizes(7, 24)));

        Assert.Equal(3, pair.Run.GetCounters().SendDrops);
        pair.Script([]);
        pair.FlushAndCompare();
        Assert.Equal(4, pair.Run.GetCounters().DatagramsOut);
    }

    [Fact]
    public void Without_segmentation_every_datagram_takes_its_own_slot()
    {
        using var pair = new Pair(slots: 4, slotBytes: 200, segmentation: false);
        Assert.Equal(6, pair.QueueBoth(A, Sizes(6, 24)));

        pair.FlushAndCompare();
        Assert.All(pair.Records, r => Assert.Equal(1, r.Datagrams));
    }

    [Fact]
    public void A_closed_socket_queues_nothing_but_reads_the_whole_run()
    {
        using var pair = new Pair(slots: 4, slotBytes: 200);
        pair.Run.Dispose();
        var source = new ArraySource([Datagram(24, 1), Datagram(24, 2)]);

        Assert.Equal(0, pair.Run.QueueSendRunTo(ref source, A));
        Assert.Equal(2, source.Read);
    }

    [Fact]
    public void An_empty_destination_is_refused()
    {
        using var pair = new Pair(slots: 4, slotBytes: 200);
        var source = new ArraySource([Datagram(24, 1)]);
        Assert.Throws<ArgumentException>(() => pair.Run.QueueSendRunTo(ref source, default));
    }

    /// <summary>Seeded random runs, sizes, destinations, slot limits and kernel refusals: both paths leave the same.</summary>
    [Fact]
    public void Random_runs_leave_exactly_what_queueing_one_by_one_leaves()
    {
        int[] sizes = [24, 24, 24, 24, 30, 8, 1452, 1453, 300];
        for (var seed = 0; seed < 300; seed++)
        {
            var random = new Random(seed);
            int slotBytes = new[] { 48, 100, 2048 }[random.Next(3)];
            using var pair = new Pair(slots: random.Next(1, 6), slotBytes, segmentation: random.Next(8) != 0);
            var script = new (int, IoError)[random.Next(6)];
            for (var i = 0; i < script.Length; i++)
            {
                script[i] = (random.Next(3), random.Next(3) == 0 ? IoError.NoBuffers : IoError.WouldBlock);
            }

            pair.Script(script);
            var sequence = 0;
            for (var step = 0; step < 12; step++)
            {
                var to = random.Next(3) == 0 ? B : A;
                int size = sizes[random.Next(sizes.Length)];
                switch (random.Next(4))
                {
                    case 0:
                        var one = Datagram(size, sequence++);
                        Assert.Equal(pair.Each.QueueSendTo(one, to), pair.Run.QueueSendTo(one, to));
                        break;
                    case 1:
                        Assert.Equal(pair.Each.FlushSends(), pair.Run.FlushSends());
                        break;
                    default:
                        var run = new int[random.Next(0, 140)];
                        for (var i = 0; i < run.Length; i++)
                        {
                            run[i] = random.Next(6) == 0 ? sizes[random.Next(sizes.Length)] : size;
                        }

                        pair.QueueBoth(to, run, sequence);
                        sequence += run.Length;
                        break;
                }

                Assert.Equal(pair.Each.QueuedSendCount, pair.Run.QueuedSendCount);
            }

            pair.Script([]);
            pair.FlushAndCompare($"seed {seed}");
        }
    }

    [Fact]
    public void Queueing_a_run_allocates_nothing()
    {
        using var receiver = Open(portable: false);
        using var sender = Open(portable: false, new UdpSocketOptions { SendSlots = 8 });
        byte[][] datagrams = [.. Enumerable.Range(0, 300).Select(i => Datagram(24, i))];
        var queued = 0;
        Allocations.AssertNone(() =>
        {
            var source = new ArraySource(datagrams);
            queued += sender.QueueSendRunTo(ref source, receiver.LocalAddress);
            sender.FlushSends();
        });

        Assert.True(queued >= 300 && queued % 300 == 0, $"{queued} queued");
    }

    [Fact]
    public void A_run_arrives_over_loopback_as_the_same_datagrams_in_order()
    {
        using var receiver = Open(portable: false);
        using var sender = Open(portable: false, new UdpSocketOptions { SendSlots = 4 });
        const int count = 300;
        byte[][] datagrams = [.. Enumerable.Range(0, count).Select(i => Datagram(24, i))];
        var source = new ArraySource(datagrams);

        Assert.Equal(count, sender.QueueSendRunTo(ref source, receiver.LocalAddress));

        Assert.True(WaitUntil(() => sender.FlushSends() == UdpStatus.Ok && sender.QueuedSendCount == 0));
        ExpectInOrder(receiver, 24, count, sender.LocalAddress);
    }

    private static byte[] Datagram(int size, int sequence)
    {
        var datagram = new byte[size];
        Fill(datagram, sequence);
        return datagram;
    }

    private static int[] Sizes(int count, int size) => [.. Enumerable.Repeat(size, count)];

    /// <summary>Datagrams from arrays, counting how many were read.</summary>
    private struct ArraySource(byte[][] datagrams) : IUdpDatagramSource
    {
        public int Read;

        public bool TryNext(out ReadOnlySpan<byte> datagram)
        {
            if (Read == datagrams.Length)
            {
                datagram = default;
                return false;
            }

            datagram = datagrams[Read++];
            return true;
        }
    }

    /// <summary>One message as the I/O saw it.</summary>
    private sealed record Sent(int Datagrams, int SegmentSize, byte[] Payload, UdpAddress Destination, int Outcome)
    {
        public override string ToString() => $"{Datagrams}x{SegmentSize} to {Destination} #{BitConverter.ToInt32(Payload)} -> {Outcome}";
    }

    /// <summary>Records each message handed to it, and answers from a script (then takes everything); sends nothing.</summary>
    private sealed class RecordingIo(DatagramIo inner, bool segmentation) : DatagramIo
    {
        public List<Sent> Records { get; } = [];

        public Queue<(int Max, IoError Error)> Script { get; set; } = new();

        public override bool IsNative => true;

        public override bool Segmentation => segmentation;

        public override IoResult Receive(MessageBuffer buffer) => inner.Receive(buffer);

        public override IoResult SendBatch(MessageBuffer buffer, int start, int count)
        {
            var result = IoResult.Done(count);
            if (Script.TryDequeue(out var step) && step.Max < count)
            {
                result = new IoResult(step.Max, step.Error, 0);
            }

            for (var i = start; i < start + count; i++)
            {
                var outcome = i - start < result.Count ? 1 : i - start == result.Count ? -(int)result.Error : 0;
                Records.Add(new Sent(buffer.Datagrams(i), buffer.SegmentSize(i), buffer.OutgoingPayload(i).ToArray(), buffer.Destination(i), outcome));
            }

            return result;
        }

        public override IoResult SendOne(ReadOnlySpan<byte> payload, in UdpAddress destination)
        {
            Records.Add(new Sent(1, payload.Length, payload.ToArray(), destination, 2));
            return IoResult.Done(1);
        }
    }

    /// <summary>Two sockets with recording I/O: <see cref="Each"/> is fed datagram by datagram, <see cref="Run"/> by runs.</summary>
    private sealed class Pair : IDisposable
    {
        private readonly RecordingIo _eachIo;
        private readonly RecordingIo _runIo;

        public Pair(int slots, int slotBytes, bool segmentation = true)
        {
            var options = new UdpSocketOptions { SendSlots = slots, SendSlotBytes = slotBytes, SendSegmentation = segmentation };
            RecordingIo? io = null;
            Each = new UdpSocket(Loopback, options, inner => io = new RecordingIo(inner, segmentation));
            _eachIo = io!;
            Run = new UdpSocket(Loopback, options, inner => io = new RecordingIo(inner, segmentation));
            _runIo = io!;
        }

        public UdpSocket Each { get; }

        public UdpSocket Run { get; }

        public List<Sent> Records => _runIo.Records;

        public void Both(Func<UdpSocket, UdpStatus> action) => Assert.Equal(action(Each), action(Run));

        public void Script((int Max, IoError Error)[] steps)
        {
            _eachIo.Script = new Queue<(int, IoError)>(steps);
            _runIo.Script = new Queue<(int, IoError)>(steps);
        }

        /// <summary>Queues datagrams of <paramref name="sizes"/> to <paramref name="to"/> both ways; returns how many the run queued.</summary>
        public int QueueBoth(UdpAddress to, int[] sizes, int first = 0)
        {
            byte[][] datagrams = [.. sizes.Select((size, i) => Datagram(size, first + i))];
            var ok = 0;
            foreach (var datagram in datagrams)
            {
                ok += Each.QueueSendTo(datagram, to) == UdpStatus.Ok ? 1 : 0;
            }

            var source = new ArraySource(datagrams);
            var queued = Run.QueueSendRunTo(ref source, to);
            Assert.Equal(datagrams.Length, source.Read);
            Assert.Equal(ok, queued);
            Assert.Equal(Each.QueuedSendCount, Run.QueuedSendCount);
            return queued;
        }

        public void FlushAndCompare(string? context = null)
        {
            Assert.Equal(Each.FlushSends(), Run.FlushSends());
            Assert.Equal(0, Run.QueuedSendCount);
            Assert.True(_eachIo.Records.Count == _runIo.Records.Count, context);
            for (var i = 0; i < _eachIo.Records.Count; i++)
            {
                var (each, run) = (_eachIo.Records[i], _runIo.Records[i]);
                Assert.True(
                    each.Datagrams == run.Datagrams && each.SegmentSize == run.SegmentSize && each.Destination == run.Destination
                    && each.Outcome == run.Outcome && each.Payload.AsSpan().SequenceEqual(run.Payload),
                    $"{context}: message {i}: {each} vs {run}");
            }

            Assert.Equal(Each.GetCounters(), Run.GetCounters());
        }

        public void Dispose()
        {
            Each.Dispose();
            Run.Dispose();
        }
    }
}
