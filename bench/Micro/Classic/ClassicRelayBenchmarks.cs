using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using FastSpinnRelay.Bench.Protocol;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Bench.Classic;

/// <summary>
/// The spinnaker_proxy-compatible server forwarding real datagrams on loopback, per datagram (each op moves a
/// batch of 64 SCP-sized datagrams there and back):
/// <list type="bullet">
/// <item><see cref="UdpRoundTrip"/>: client socket → relay UDP listener → the client's flow socket → board socket,
/// and the board's echo back the same way (UdpToUdpRoute both directions, on the relay's loop thread).</item>
/// <item><see cref="TcpRoundTrip"/>: a raw TCP client writes 64 frames in one send → relay (-T) → the connection's
/// UDP socket → board; the echoes come back framed on the stream (StreamToUdpRoute: frame decode, one UDP send per
/// frame, the loop appending to the outbox, the writer's one write per block).</item>
/// </list>
/// The benchmark thread plays client and board. Allocated must be 0 B: MemoryDiagnoser counts every thread, so the
/// relay's loop thread and its thread-pool TCP loops are included.
/// </summary>
[MemoryDiagnoser]
[HotPath]
public class ClassicRelayBenchmarks
{
    private const int Batch = 64;
    private const int PayloadBytes = 282; // the largest SCP request
    private const int FrameBytes = 4 + PayloadBytes;

    private readonly byte[] _payload = new byte[PayloadBytes];
    private readonly byte[] _frames = new byte[Batch * FrameBytes];
    private readonly byte[] _readBack = new byte[Batch * FrameBytes];
    private ClassicProxyHost _udpServer = null!;
    private ClassicProxyHost _tcpServer = null!;
    private UdpSocket _client = null!;
    private UdpSocket _board = null!;
    private DatagramBatch _batch = null!;
    private Socket _tcpClient = null!;
    private UdpAddress _udpListener;

    [GlobalSetup]
    public void Setup()
    {
        Log.Level = LogLevel.Warning;
        for (var i = 0; i < _payload.Length; i++)
        {
            _payload[i] = (byte)i;
        }

        for (var i = 0; i < Batch; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(_frames.AsSpan(i * FrameBytes), PayloadBytes);
            _payload.CopyTo(_frames.AsSpan((i * FrameBytes) + 4));
        }

        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        _client = new UdpSocket(loopback);
        _board = new UdpSocket(loopback);
        _batch = new DatagramBatch(Batch);
        var options = new ClassicProxyOptions
        {
            Role = ClassicRole.Server,
            Target = "127.0.0.1",
            BindAddress = IPAddress.Loopback,
            ScpTunnelPort = 0,
            BootTunnelPort = 0,
            ScpPort = _board.LocalAddress.Port,
            BootPort = _board.LocalAddress.Port,
        };
        _udpServer = ClassicProxyHost.StartAsync(options).GetAwaiter().GetResult();
        _tcpServer = ClassicProxyHost.StartAsync(options with { ScpViaTcp = true }).GetAwaiter().GetResult();
        _udpListener = UdpAddress.FromIPEndPoint(_udpServer.Scp.ListenEndPoint);
        _tcpClient = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _tcpClient.Connect(_tcpServer.Scp.ListenEndPoint);

        // Check both paths deliver what was sent before timing them.
        SetupCheck.That(UdpRoundTrip() == Batch && _batch.GetPayload(Batch - 1 - (Batch - _batch.Count)).SequenceEqual(_payload));
        SetupCheck.That(TcpRoundTrip() == Batch && _readBack.AsSpan().SequenceEqual(_frames));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tcpClient.Dispose();
        _udpServer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _tcpServer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _client.Dispose();
        _board.Dispose();
        _batch.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int UdpRoundTrip()
    {
        for (var i = 0; i < Batch; i++)
        {
            _client.QueueSendTo(_payload, _udpListener);
        }

        _client.FlushSends();
        EchoFromBoard();
        return Receive(_client);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int TcpRoundTrip()
    {
        _tcpClient.Send(_frames);
        EchoFromBoard();
        var read = 0;
        while (read < _readBack.Length)
        {
            var n = _tcpClient.Receive(_readBack, read, _readBack.Length - read, SocketFlags.None);
            if (n == 0)
            {
                throw new InvalidOperationException("The relay closed the connection.");
            }

            read += n;
        }

        return read / FrameBytes;
    }

    /// <summary>The board: receives the 64 datagrams the relay forwarded and sends each back to its sender.</summary>
    private void EchoFromBoard()
    {
        var echoed = 0;
        var idle = 0;
        while (echoed < Batch)
        {
            if (_board.Receive(_batch) == UdpStatus.Ok)
            {
                for (var i = 0; i < _batch.Count; i++)
                {
                    _board.QueueSendTo(_batch.GetPayload(i), _batch.GetSource(i));
                }

                _board.FlushSends();
                echoed += _batch.Count;
                idle = 0;
            }
            else if (!_board.NetSocket.Poll(1_000, SelectMode.SelectRead) && ++idle > 1_000)
            {
                throw new InvalidOperationException($"Lost datagrams on the way to the board: {echoed} of {Batch} arrived.");
            }
        }
    }

    private int Receive(UdpSocket socket)
    {
        var received = 0;
        var idle = 0;
        while (received < Batch)
        {
            if (socket.Receive(_batch) == UdpStatus.Ok)
            {
                received += _batch.Count;
                idle = 0;
            }
            else if (!socket.NetSocket.Poll(1_000, SelectMode.SelectRead) && ++idle > 1_000)
            {
                throw new InvalidOperationException($"Lost datagrams on the way back: {received} of {Batch} arrived.");
            }
        }

        return received;
    }
}
