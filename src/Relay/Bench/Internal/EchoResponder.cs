using System.Net;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Udp;

namespace FastSpinnRelay.Relay.Bench.Internal;

/// <summary>
/// The bench's stand-in board for request/response workloads: answers every datagram by sending it back to its
/// sender with the SDP reply flag (0x80 of byte 2) cleared, as a board's reply would have it. Its own
/// <see cref="UdpEventLoop"/>, batched, nothing allocated per datagram. Labelled "echo" in the report, so
/// nobody mistakes it for the board emulator.
/// </summary>
internal sealed class EchoResponder : IUdpReceiver, IResponder
{
    private const int FlagsOffset = SdpConstants.PadLength;

    private readonly UdpEventLoop _loop;
    private readonly UdpSocket _socket;
    private readonly byte[] _scratch = new byte[DatagramBatch.DefaultSlotSize];

    public EchoResponder()
    {
        _socket = new UdpSocket(new IPEndPoint(IPAddress.Loopback, 0), new UdpSocketOptions { Name = "bench-echo" });
        _loop = new UdpEventLoop(new UdpEventLoopOptions { Name = "bench-echo" });
        if (!_loop.Register(_socket, this))
        {
            throw new InvalidOperationException("The responder's loop stopped before it started.");
        }
    }

    /// <summary>Where requests must arrive ("the board").</summary>
    public UdpAddress Address => _socket.LocalAddress;

    public string Label => "echo";

    public void OnDatagrams(UdpSocket socket, DatagramBatch batch)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var request = batch.GetPayload(i);
            var reply = _scratch.AsSpan(0, request.Length);
            request.CopyTo(reply);
            if (reply.Length > FlagsOffset)
            {
                reply[FlagsOffset] &= unchecked((byte)~SdpConstants.ReplyFlag);
            }

            socket.QueueSendTo(reply, batch.GetSource(i));
        }
    }

    public void Dispose()
    {
        _loop.Dispose();
        _socket.Dispose();
    }
}
