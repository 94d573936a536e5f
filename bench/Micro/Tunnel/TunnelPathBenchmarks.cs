using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Bench.Protocol;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel;
using FastSpinnRelay.Tunnel.Compression;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Bench.Tunnel;

/// <summary>
/// The whole tunnel path in one process, no sockets: a client and a server session over an in-memory pipe pair, with
/// their real send, receive and batching loops. Each operation pushes 1,000 datagrams through and waits until the
/// other side's handler has had them all. Times and allocations are per datagram. The steady state must allocate
/// nothing per datagram (MemoryDiagnoser counts every thread, the tunnel's loops included).
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class TunnelPathBenchmarks
{
    private const int Datagrams = 1000;

    private readonly byte[][] _spikes = new byte[Datagrams][];
    private readonly byte[] _scp = new byte[100];
    private InMemoryTunnelTransport _transport = null!;
    private TunnelServer _server = null!;
    private TunnelClient _client = null!;
    private TunnelChannel _live = null!;
    private TunnelChannel _reliable = null!;
    private TunnelChannel _echoed = null!;
    private CountingAcceptor _board = null!;
    private readonly CountingHandler _replies = new();

    /// <summary>Whether batches are LZ4-compressed (both ends offer it) or not.</summary>
    [Params(false, true)]
    public bool Compress { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Datagrams; i++)
        {
            _spikes[i] = SpikePacket(i);
        }

        var key = TunnelKey.Generate();
        _transport = new InMemoryTunnelTransport(pauseWriterThreshold: 1024 * 1024);
        _board = new CountingAcceptor();
        _server = new TunnelServer(new TunnelServerOptions { Key = key, EnableCompression = Compress, LatestQueueBytes = 4 * 1024 * 1024 }, _transport, _board);
        _client = new TunnelClient(new TunnelClientOptions { Key = key, EnableCompression = Compress, LatestQueueBytes = 4 * 1024 * 1024 }, _transport);
        _server.Start();
        _client.Start();
        _client.WhenConnectedAsync().Wait(TimeSpan.FromSeconds(30));
        _live = _client.Session.OpenChannel(TunnelChannelKind.EieioOutput, TunnelTarget.Default, NoReplies.Instance);
        _reliable = _client.Session.OpenChannel(TunnelChannelKind.Scp, TunnelTarget.Default, NoReplies.Instance);
        _echoed = _client.Session.OpenChannel(TunnelChannelKind.EieioInput, TunnelTarget.Default, _replies);

        SetupCheck.That(_client.Session.IsConnected);
        SetupCheck.That(!Compress || Lz4.IsAvailable);
        SetupCheck.That(SpikesThroughLatestClass() == Datagrams);
        SetupCheck.That(ScpThroughReliableClass() == Datagrams);
        SetupCheck.That(_server.Sessions[0].GetCounters().LatestDatagramsDropped == 0);
        SetupCheck.That(OneDatagramThereAndBack() == 1);
        SetupCheck.That(!Compress || _client.Session.GetCounters().BatchesCompressed > 0);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.DisposeAsync().AsTask().Wait();
        _server.DisposeAsync().AsTask().Wait();
    }

    /// <summary>1,000 EIEIO packets of 64 keys (258 B): queued, batched, optionally compressed, framed, parsed, delivered.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Datagrams)]
    public int SpikesThroughLatestClass()
    {
        _board.Expect(Datagrams);
        foreach (byte[] spike in _spikes)
        {
            _live.TrySend(spike);
        }

        return _board.WaitForAll();
    }

    /// <summary>1,000 SCP-sized datagrams (100 B): sequenced, kept for replay, framed, parsed, delivered, acknowledged.</summary>
    [Benchmark(OperationsPerInvoke = Datagrams)]
    public int ScpThroughReliableClass()
    {
        _board.Expect(Datagrams);
        for (int i = 0; i < Datagrams; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_scp, i);
            while (_reliable.TrySend(_scp) == TunnelSendStatus.Full)
            {
                Thread.Yield(); // the 1 MiB replay buffer fills only if acks stall
            }
        }

        return _board.WaitForAll();
    }

    /// <summary>
    /// One lone datagram to the server and its echo back, at a low rate: what batching adds when there is nothing to
    /// batch (two crossings, each a wake-up of the send loop and of the peer's receive loop).
    /// </summary>
    [Benchmark]
    public int OneDatagramThereAndBack()
    {
        _replies.Expect(1);
        _echoed.TrySend(_scp);
        return _replies.WaitForAll();
    }

    private static byte[] SpikePacket(int sequence)
    {
        var packet = new byte[2 + (64 * 4)];
        packet[0] = 64;
        packet[1] = 0x08;
        BinaryPrimitives.WriteInt32LittleEndian(packet.AsSpan(2), sequence);
        for (int i = 1; i < 64; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(2 + (4 * i)), 0x0A000000u | (uint)(((sequence * 63) + i) % 1000));
        }

        return packet;
    }

    /// <summary>The board side: counts datagrams on the SCP and live channels, echoes live input back.</summary>
    private sealed class CountingAcceptor : ITunnelChannelAcceptor
    {
        private readonly CountingHandler _counter = new();

        public ITunnelChannelHandler? OnChannelOpening(TunnelChannel channel) =>
            channel.Kind == TunnelChannelKind.EieioInput ? Echo.Instance : _counter;

        public void Expect(int count) => _counter.Expect(count);

        public int WaitForAll() => _counter.WaitForAll();
    }

    /// <summary>Counts datagrams and wakes the benchmark when the expected number is in.</summary>
    private sealed class CountingHandler : ITunnelChannelHandler
    {
        private readonly ManualResetEventSlim _done = new(false);
        private int _expected;
        private int _count;

        public void Expect(int count)
        {
            _done.Reset();
            Volatile.Write(ref _count, 0);
            Volatile.Write(ref _expected, count);
        }

        public int WaitForAll()
        {
            if (!_done.Wait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException($"only {Volatile.Read(ref _count)} of {_expected} datagrams arrived");
            }

            return Volatile.Read(ref _count);
        }

        public void OnDatagram(TunnelChannel channel, ReadOnlySpan<byte> datagram, uint gapMicroseconds)
        {
            if (Interlocked.Increment(ref _count) == Volatile.Read(ref _expected))
            {
                _done.Set();
            }
        }

        public void OnClosed(TunnelChannel channel, TunnelErrorCode code)
        {
        }
    }

    private sealed class Echo : ITunnelChannelHandler
    {
        public static readonly Echo Instance = new();

        public void OnDatagram(TunnelChannel channel, ReadOnlySpan<byte> datagram, uint gapMicroseconds) => channel.TrySend(datagram);

        public void OnClosed(TunnelChannel channel, TunnelErrorCode code)
        {
        }
    }

    private sealed class NoReplies : ITunnelChannelHandler
    {
        public static readonly NoReplies Instance = new();

        public void OnDatagram(TunnelChannel channel, ReadOnlySpan<byte> datagram, uint gapMicroseconds)
        {
        }

        public void OnClosed(TunnelChannel channel, TunnelErrorCode code)
        {
        }
    }
}
