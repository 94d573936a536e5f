using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FastSpinnRelay.Tunnel.Legacy.Internal;

/// <summary>
/// One non-blocking <c>sendmsg</c> of a <see cref="FrameGather"/>'s iovecs on a stream socket (Linux). No runtime
/// marshalling (pointers and ints only), so it works under native AOT. Holds a reference on the socket's handle for
/// the call, so a concurrent Dispose cannot close the descriptor under it.
/// </summary>
internal static unsafe partial class GatherSend
{
    private const int MsgDontWait = 0x40;
    private const int MsgNoSignal = 0x4000;
    private const int EAGAIN = 11;
    private const int EINTR = 4;

    /// <summary>True where <see cref="Send"/> works: Linux on a 64-bit or 32-bit glibc/musl layout.</summary>
    public static bool IsAvailable { get; } = OperatingSystem.IsLinux();

    /// <summary>
    /// Sends what <paramref name="frames"/> holds without waiting: the bytes the kernel took (0 when the socket's buffer
    /// is full), or -1 with <paramref name="error"/> set when the send failed (the socket is broken or closed).
    /// </summary>
    public static long Send(Socket socket, FrameGather frames, out SocketError error)
    {
        error = SocketError.Success;
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            error = SocketError.OperationAborted;
            return -1;
        }

        try
        {
            var header = default(MsgHdr);
            header.Iov = frames.Iovecs;
            header.IovLength = (nuint)frames.IovecCount;
            nint sent;
            do
            {
                sent = SendMsg((int)handle.DangerousGetHandle(), &header, MsgDontWait | MsgNoSignal);
            }
            while (sent < 0 && Marshal.GetLastPInvokeError() == EINTR);

            if (sent >= 0)
            {
                return sent;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EAGAIN)
            {
                return 0;
            }

            error = SocketErrorFrom(errno);
            return -1;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }

            frames.KeepAlive();
        }
    }

    /// <summary>The errno values a broken stream reports, as <see cref="SocketError"/>; anything else is SocketError.SocketError.</summary>
    private static SocketError SocketErrorFrom(int errno) => errno switch
    {
        32 => SocketError.Shutdown,            // EPIPE
        104 => SocketError.ConnectionReset,    // ECONNRESET
        107 => SocketError.NotConnected,       // ENOTCONN
        110 => SocketError.TimedOut,           // ETIMEDOUT
        9 or 88 => SocketError.OperationAborted, // EBADF, ENOTSOCK: closed
        _ => SocketError.SocketError,
    };

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }
}
