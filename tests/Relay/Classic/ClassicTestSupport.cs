using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Classic;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Tests.Classic;

/// <summary>
/// Loopback fixtures for the spinnaker_proxy-compatible relay: echo "boards", test peers, and hosts wired to
/// them. Every socket binds 127.0.0.1 port 0; every wait is bounded by <see cref="Deadline"/>.
/// </summary>
internal static class ClassicTestSupport
{
    /// <summary>Generous: no test asserts on speed, only on what arrives before this.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    static ClassicTestSupport() => LogCapture.Install();

    /// <summary>Server options towards <paramref name="scpBoard"/> (and <paramref name="bootBoard"/>, default the same), listening on loopback port 0.</summary>
    public static ClassicProxyOptions ServerOptions(EchoBoard scpBoard, EchoBoard? bootBoard = null) => new()
    {
        Role = ClassicRole.Server,
        Target = "127.0.0.1",
        BindAddress = IPAddress.Loopback,
        ScpTunnelPort = 0,
        BootTunnelPort = 0,
        ScpPort = scpBoard.Port,
        BootPort = (bootBoard ?? scpBoard).Port,
        ReconnectDelayMax = TimeSpan.FromMilliseconds(200),
    };

    /// <summary>Server options towards an emulated <paramref name="board"/> at 127.0.0.1, listening on loopback port 0.</summary>
    public static ClassicProxyOptions BoardServer(BoardEmulator board) => new()
    {
        Role = ClassicRole.Server,
        Target = "127.0.0.1",
        BindAddress = IPAddress.Loopback,
        ScpTunnelPort = 0,
        BootTunnelPort = 0,
        ScpPort = board.ScpEndPoint.Port,
        BootPort = board.BootEndPoint.Port,
        BootMinGap = TimeSpan.FromMilliseconds(2),
    };

    /// <summary>Client options towards <paramref name="server"/>, same transports, listening on loopback port 0.</summary>
    public static ClassicProxyOptions ClientOptions(ClassicProxyHost server) => ClientOptions(
        server.Scp.ListenEndPoint.Port, server.Boot.ListenEndPoint.Port, server.Options.ScpViaTcp, server.Options.BootViaTcp);

    public static ClassicProxyOptions ClientOptions(int scpTunnelPort, int bootTunnelPort, bool scpViaTcp, bool bootViaTcp) => new()
    {
        Role = ClassicRole.Client,
        Target = "127.0.0.1",
        ScpPort = 0,
        BootPort = 0,
        ScpTunnelPort = scpTunnelPort,
        BootTunnelPort = bootTunnelPort,
        ScpViaTcp = scpViaTcp,
        BootViaTcp = bootViaTcp,
        ReconnectDelayMax = TimeSpan.FromMilliseconds(200),
    };

    public static Task<ClassicProxyHost> StartAsync(ClassicProxyOptions options) => ClassicProxyHost.StartAsync(options);

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes; returns the last result.</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan? timeout = null) =>
        Udp.UdpTestSupport.WaitUntil(condition, timeout ?? Deadline);

    /// <summary>A recognisable payload: "tag:n" then filler up to <paramref name="length"/> bytes.</summary>
    public static byte[] Payload(string tag, int n, int length = 40)
    {
        var bytes = new byte[Math.Max(length, tag.Length + 8)];
        var head = System.Text.Encoding.ASCII.GetBytes($"{tag}:{n}:");
        head.CopyTo(bytes, 0);
        for (var i = head.Length; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(n + i);
        }

        return bytes;
    }

    /// <summary>
    /// A fake board port: records every datagram (with source and arrival time) and, when <see cref="Echo"/>,
    /// sends it straight back to its sender, as a board answers the requester's address and port.
    /// </summary>
    public sealed class EchoBoard : IUdpReceiver, IDisposable
    {
        private readonly UdpEventLoop _loop;
        private readonly UdpSocket _socket;

        public EchoBoard(int port = 0)
        {
            _socket = new UdpSocket(new IPEndPoint(IPAddress.Loopback, port));
            _loop = new UdpEventLoop(new UdpEventLoopOptions { Name = "echo-board", SlotSize = 8192 });
            _loop.Register(_socket, this);
        }

        public int Port => _socket.LocalAddress.Port;

        public IPEndPoint EndPoint => _socket.LocalEndPoint;

        public bool Echo { get; set; } = true;

        /// <summary>
        /// Answers like a closed port while keeping it: connected to its own address the socket accepts nothing, so
        /// the kernel answers every datagram with ICMP "port unreachable", exactly as for a closed port. A really
        /// closed port could be handed to a parallel test's port-0 bind before the board came back on it.
        /// </summary>
        public void GoDeaf() => _socket.Connect(EndPoint);

        /// <summary>
        /// Back on the same port after <see cref="GoDeaf"/>, to datagrams from <paramref name="relay"/> only (a socket
        /// bound to port 0 cannot be unconnected without losing its port).
        /// </summary>
        public void ComeBackFor(IPEndPoint relay) => _socket.Connect(relay);

        /// <summary>Where the first datagram came from: the relay's board-side socket.</summary>
        public IPEndPoint FirstSender => Received.TryPeek(out var first)
            ? first.From.ToIPEndPoint()
            : throw new InvalidOperationException("the board has received nothing yet");

        public ConcurrentQueue<(UdpAddress From, byte[] Payload, long Timestamp)> Received { get; } = new();

        public IReadOnlyList<byte[]> Payloads => [.. Received.Select(r => r.Payload)];

        public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
        {
            var now = Stopwatch.GetTimestamp();
            for (var i = 0; i < batch.Count; i++)
            {
                Received.Enqueue((batch.GetSource(i), batch.GetPayload(i).ToArray(), now));
                if (Echo)
                {
                    socket.QueueSendTo(batch.GetPayload(i), batch.GetSource(i));
                }
            }
        }

        public void Dispose()
        {
            _loop.Dispose();
            _socket.Dispose();
        }
    }

    /// <summary>A user's application (or a raw proxy client): one loopback UDP socket, driven from the test thread.</summary>
    public sealed class TestPeer : IDisposable
    {
        private readonly UdpSocket _socket = new(new IPEndPoint(IPAddress.Loopback, 0));
        private readonly DatagramBatch _batch = new(64, 8192);
        private readonly Queue<byte[]> _pending = new();

        public UdpAddress Address => _socket.LocalAddress;

        public UdpStatus Send(ReadOnlySpan<byte> payload, IPEndPoint to) => _socket.SendTo(payload, UdpAddress.FromIPEndPoint(to));

        /// <summary>The next datagram, or null when none came before <paramref name="timeout"/> (default <see cref="Deadline"/>).</summary>
        public byte[]? Receive(TimeSpan? timeout = null)
        {
            WaitUntil(() => Fill() > 0, timeout);
            return _pending.TryDequeue(out var payload) ? payload : null;
        }

        /// <summary>Receives until <paramref name="count"/> datagrams came or the deadline passed.</summary>
        public List<byte[]> ReceiveMany(int count, TimeSpan? timeout = null)
        {
            var list = new List<byte[]>();
            WaitUntil(() =>
            {
                Fill();
                while (list.Count < count && _pending.TryDequeue(out var payload))
                {
                    list.Add(payload);
                }

                return list.Count >= count;
            }, timeout);
            return list;
        }

        /// <summary>True when nothing arrives within <paramref name="quiet"/>.</summary>
        public bool ReceivesNothing(TimeSpan quiet) => Receive(quiet) is null;

        public void Dispose()
        {
            _socket.Dispose();
            _batch.Dispose();
        }

        private int Fill()
        {
            while (_socket.Receive(_batch) == UdpStatus.Ok)
            {
                for (var i = 0; i < _batch.Count; i++)
                {
                    _pending.Enqueue(_batch.GetPayload(i).ToArray());
                }
            }

            return _pending.Count;
        }
    }

    /// <summary>Raw TCP to a relay (a stand-in for a proxy client or server that speaks the framing by hand).</summary>
    public sealed class RawTcp : IDisposable
    {
        private RawTcp(Socket socket)
        {
            Socket = socket;
            socket.ReceiveTimeout = (int)Deadline.TotalMilliseconds;
            socket.NoDelay = true;
        }

        public Socket Socket { get; }

        public static RawTcp Connect(IPEndPoint to)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(to);
            return new RawTcp(socket);
        }

        public static RawTcp Accept(Socket listener)
        {
            var accept = listener.AcceptAsync();
            Assert.True(accept.Wait(Deadline), "nobody connected");
            return new RawTcp(accept.Result);
        }

        /// <summary>A loopback listener on port 0 standing in for a proxy server.</summary>
        public static Socket Listen()
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(8);
            return listener;
        }

        public void Send(params byte[] bytes) => Socket.Send(bytes);

        /// <summary>Writes one frame: 4-byte big-endian length, then the datagram.</summary>
        public void SendFrame(ReadOnlySpan<byte> datagram)
        {
            var frame = new byte[4 + datagram.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)datagram.Length);
            datagram.CopyTo(frame.AsSpan(4));
            Socket.Send(frame);
        }

        /// <summary>Exactly <paramref name="count"/> bytes, or fewer if the stream ended or the deadline passed.</summary>
        public byte[] Read(int count)
        {
            var buffer = new byte[count];
            var read = 0;
            try
            {
                while (read < count)
                {
                    var n = Socket.Receive(buffer, read, count - read, SocketFlags.None);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }
            }
            catch (SocketException)
            {
                // Reset or timed out: what arrived is returned.
            }

            return buffer[..read];
        }

        /// <summary>Reads one frame's datagram (null if the stream ended first).</summary>
        public byte[]? ReadFrame()
        {
            var header = Read(4);
            if (header.Length < 4)
            {
                return null;
            }

            var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(header);
            var payload = Read(length);
            return payload.Length == length ? payload : null;
        }

        /// <summary>True when the relay ends the stream (FIN or reset) before the deadline.</summary>
        public bool SeesEnd()
        {
            var buffer = new byte[256];
            try
            {
                while (Socket.Receive(buffer) > 0)
                {
                }

                return true;
            }
            catch (SocketException e)
            {
                return e.SocketErrorCode != SocketError.TimedOut;
            }
        }

        public void Dispose() => Socket.Dispose();
    }
}
