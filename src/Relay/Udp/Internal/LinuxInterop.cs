using System.Runtime.InteropServices;

namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>
/// The few libc calls the Linux fast path needs, bound with source-generated interop (no runtime marshalling,
/// native-AOT friendly). All structures are blittable and laid out like glibc/musl on LP64 and ILP32
/// little-endian targets (pointer-sized fields use <c>nint</c>/<c>nuint</c>).
/// </summary>
internal static unsafe partial class LinuxInterop
{
    private const string Libc = "libc";

    // errno values (asm-generic, shared by every architecture .NET runs Linux on).
    public const int EPERM = 1;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int EINVAL = 22;
    public const int ENOTSOCK = 88;
    public const int EMSGSIZE = 90;
    public const int ENOPROTOOPT = 92;
    public const int EOPNOTSUPP = 95;
    public const int ENETDOWN = 100;
    public const int ENETUNREACH = 101;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ECONNREFUSED = 111;
    public const int EHOSTDOWN = 112;
    public const int EHOSTUNREACH = 113;

    // UDP socket options and control messages (linux/udp.h): GSO segment size on send, GRO on receive.
    public const int SOL_UDP = 17;
    public const int UDP_SEGMENT = 103;
    public const int UDP_GRO = 104;

    /// <summary>Bytes of a <c>cmsghdr</c> before its data: <c>cmsg_len</c> (size_t), <c>cmsg_level</c>, <c>cmsg_type</c> (int each).</summary>
    public static readonly int CmsgHeaderBytes = IntPtr.Size + 8;

    /// <summary>CMSG_SPACE: a control message with <paramref name="dataBytes"/> of data, padded to size_t.</summary>
    public static int CmsgSpace(int dataBytes) => (CmsgHeaderBytes + dataBytes + IntPtr.Size - 1) & ~(IntPtr.Size - 1);

    /// <summary>Bytes one UDP_SEGMENT control message takes (its data is the u16 segment size).</summary>
    public static readonly int SegmentControlSpace = CmsgSpace(sizeof(ushort));

    /// <summary>Writes the header of a UDP_SEGMENT control message at <paramref name="control"/>; the size goes in with <see cref="SegmentControlSize"/>.</summary>
    public static unsafe void InitSegmentControl(byte* control)
    {
        *(nuint*)control = (nuint)(CmsgHeaderBytes + sizeof(ushort));
        *(int*)(control + IntPtr.Size) = SOL_UDP;
        *(int*)(control + IntPtr.Size + 4) = UDP_SEGMENT;
    }

    /// <summary>The segment size a UDP_SEGMENT control message at <paramref name="control"/> carries.</summary>
    public static unsafe ref ushort SegmentControlSize(byte* control) => ref *(ushort*)(control + CmsgHeaderBytes);

    public const int MSG_TRUNC = 0x20;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;

    /// <summary>
    /// <c>struct epoll_event</c> is packed (12 bytes) on x86-64 only; elsewhere the 64-bit data field is
    /// naturally aligned (16 bytes). Events are read with these offsets instead of a C# struct.
    /// </summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;

        /// <summary>Bytes received or sent for this message (written by the kernel).</summary>
        public uint Length;
    }

    [LibraryImport(Libc, EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Libc, EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int SendMMsg(int fd, MMsgHdr* messages, uint count, int flags);

    [LibraryImport(Libc, EntryPoint = "sendto", SetLastError = true)]
    public static partial nint SendTo(int fd, byte* buffer, nuint length, int flags, void* address, uint addressLength);

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate1(int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeoutMs);

    [LibraryImport(Libc, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initialValue, int flags);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>
    /// True when this is Linux and the batch calls resolve. Probed once with harmless calls on an invalid
    /// descriptor (they fail with EBADF); a missing libc or symbol selects the portable path instead.
    /// </summary>
    public static bool IsAvailable => Probe.Value;

    private static readonly Lazy<bool> Probe = new(ProbeOnce);

    private static bool ProbeOnce()
    {
        if (!OperatingSystem.IsLinux() || sizeof(MMsgHdr) != (IntPtr.Size == 8 ? 64 : 32))
        {
            return false;
        }

        try
        {
            _ = SendMMsg(-1, null, 0, 0);
            _ = RecvMMsg(-1, null, 0, MSG_DONTWAIT, null);
            _ = EpollWait(-1, null, 1, 0);
            _ = EventFd(0, -1);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
