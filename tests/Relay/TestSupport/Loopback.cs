using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;

namespace FastSpinnRelay.Relay.Tests.TestSupport;

/// <summary>Loopback-only helpers: emulator options on port 0, bounded waits.</summary>
internal static class Loopback
{
    /// <summary>Upper bound for any single wait in these tests (a watchdog, not a timing assertion).</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>Emulator options bound to 127.0.0.1 with ephemeral ports.</summary>
    public static EmulatorOptions Board() => new() { ScpPort = 0, BootPort = 0 };

    /// <summary>Polls <paramref name="condition"/> until true or <see cref="Limit"/> passes; returns its last value.</summary>
    public static bool WaitUntil(Func<bool> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > Limit)
            {
                return condition();
            }

            Thread.Sleep(2);
        }

        return true;
    }

    /// <summary>An SCP request datagram with three args (reply wanted unless said otherwise).</summary>
    public static byte[] Request(ScpCommand command, ushort sequence, uint arg1 = 0, uint arg2 = 0, uint arg3 = 0, byte[]? data = null, bool replyWanted = true)
    {
        var buffer = new byte[SdpConstants.MaxDatagramLength];
        Assert.True(ScpMessage.TryWriteRequest(
            buffer, SdpHeader.ScpRequest(0, 0, 0, replyWanted), command, sequence, [arg1, arg2, arg3], data ?? [], out var n));
        return buffer[..n];
    }
}

/// <summary>A raw UDP socket on 127.0.0.1:0 with bounded receives, for what ScpClient would hide.</summary>
internal sealed class RawUdp : IDisposable
{
    public RawUdp(int receiveBufferSize = 0)
    {
        Socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        if (receiveBufferSize > 0)
        {
            Socket.ReceiveBufferSize = receiveBufferSize;
        }

        Socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        LocalEndPoint = (IPEndPoint)Socket.LocalEndPoint!;
    }

    public Socket Socket { get; }

    public IPEndPoint LocalEndPoint { get; }

    public void Send(byte[] datagram, IPEndPoint to) => Socket.SendTo(datagram, to);

    /// <summary>The next datagram and its sender; fails the test after <see cref="Loopback.Limit"/>.</summary>
    public byte[] Receive(out IPEndPoint from)
    {
        Assert.True(Socket.Poll(Loopback.Limit, SelectMode.SelectRead), "no datagram arrived within the test limit");
        var buffer = new byte[4096];
        EndPoint sender = new IPEndPoint(IPAddress.Any, 0);
        var n = Socket.ReceiveFrom(buffer, ref sender);
        from = (IPEndPoint)sender;
        return buffer[..n];
    }

    public byte[] Receive() => Receive(out _);

    public void Dispose() => Socket.Dispose();
}
