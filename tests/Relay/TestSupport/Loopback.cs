using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Protocol.Sdp;
using FastSpinnRelay.Relay.Emulator;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Tests.TestSupport;

/// <summary>Loopback-only helpers: emulator options on port 0, bounded waits.</summary>
internal static class Loopback
{
    /// <summary>Upper bound for any single wait in these tests (a watchdog, not a timing assertion).</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>Emulator options bound to 127.0.0.1 with ephemeral ports.</summary>
    public static EmulatorOptions Board() => new() { ScpPort = 0, BootPort = 0 };

    /// <summary>
    /// Two emulated boards on the same SCP and boot ports, one at 127.0.0.1 and one at ::1: a board whose address changes
    /// while its ports do not, for the tests of a reload that resolves a board's name again (a stand-in resolver gives
    /// one address, then the other). The IPv4 one binds port 0; its IPv6 twin takes the same ports on ::1, with fresh
    /// ports again (a few times at most) should another test hold them there.
    /// </summary>
    public static (BoardEmulator V4, BoardEmulator V6) TwinBoards()
    {
        for (var attempt = 1; ; attempt++)
        {
            var v4 = new BoardEmulator(Board());
            try
            {
                return (v4, new BoardEmulator(Board() with
                {
                    Address = IPAddress.IPv6Loopback,
                    ScpPort = v4.ScpEndPoint.Port,
                    BootPort = v4.BootEndPoint.Port,
                }));
            }
            catch (EmulatorBindException) when (attempt < 5)
            {
                v4.Dispose();
            }
            catch
            {
                v4.Dispose();
                throw;
            }
        }
    }

    /// <summary>What <see cref="Resolver"/> throws for a name that does not resolve (its message is the resolver's).</summary>
    public static readonly SocketException NotFound = new((int)SocketError.HostNotFound);

    /// <summary>
    /// A stand-in for the system's resolver that answers each lookup with the next of <paramref name="answers"/> (the last
    /// one again when they run out); a null answer is a name that does not resolve (<see cref="NotFound"/>).
    /// </summary>
    public static HostResolver Resolver(params IPAddress[]?[] answers)
    {
        var next = 0;
        return (_, _) => answers[Math.Min(Interlocked.Increment(ref next) - 1, answers.Length - 1)] is { } addresses
            ? Task.FromResult(addresses)
            : Task.FromException<IPAddress[]>(NotFound);
    }

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
