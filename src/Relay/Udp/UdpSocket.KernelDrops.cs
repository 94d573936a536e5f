using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FastSpinnRelay.Relay.Udp;

public sealed partial class UdpSocket
{
    /// <summary>SO_MEMINFO: the socket's memory figures as u32 values, the kernel's SK_MEMINFO_* order.</summary>
    private const int SoMemInfo = 55;

    /// <summary>SK_MEMINFO_DROPS: packets dropped on arrival (receive buffer full, filters), the ninth value.</summary>
    private const int MemInfoDrops = 8;

    /// <summary>
    /// Datagrams the kernel dropped on their way into this socket since it was created, mostly because its receive
    /// buffer was full (nobody read it fast enough, or it was not being read: see <see cref="ListenerBackpressure"/>).
    /// These never reach the relay, so no other counter has them. Read from SO_MEMINFO (Linux 4.6 and later); null
    /// where the kernel does not report it or the socket is closed. One system call: for logs and stats, not per
    /// datagram. Any thread.
    /// </summary>
    public long? KernelReceiveDrops()
    {
        Span<uint> info = stackalloc uint[MemInfoDrops + 1];
        try
        {
            int length = _socket.GetRawSocketOption(SolSocket, SoMemInfo, MemoryMarshal.AsBytes(info));
            return length >= info.Length * sizeof(uint) ? info[MemInfoDrops] : null;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or PlatformNotSupportedException)
        {
            return null;
        }
    }
}
