using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static FastSpinnRelay.Relay.Udp.Internal.LinuxInterop;

namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>Level-triggered epoll plus an eventfd for wake-ups from other threads.</summary>
internal sealed unsafe class EpollPoller : LoopPoller
{
    private const long WakeToken = -1;

    private readonly byte[] _events;
    private readonly int _maxEvents;
    private int _epollFd = -1;
    private int _eventFd = -1;

    /// <exception cref="InvalidOperationException">epoll or eventfd could not be created.</exception>
    public EpollPoller(int maxEvents)
    {
        _maxEvents = maxEvents;
        _events = GC.AllocateArray<byte>(maxEvents * EpollEventSize, pinned: true);
        _epollFd = EpollCreate1(EPOLL_CLOEXEC);
        if (_epollFd < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        _eventFd = EventFd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (_eventFd < 0 || Control(EPOLL_CTL_ADD, _eventFd, EPOLLIN, WakeToken) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            Dispose();
            throw new InvalidOperationException($"eventfd setup failed (errno {errno}).");
        }
    }

    public override int Add(UdpSocket socket, long token) =>
        WithDescriptor(socket, EPOLL_CTL_ADD, EPOLLIN, token, closedResult: EBADF);

    public override void Remove(UdpSocket socket) =>
        WithDescriptor(socket, EPOLL_CTL_DEL, 0, 0, closedResult: 0);

    public override void SetWriteInterest(UdpSocket socket, long token, bool wanted) =>
        WithDescriptor(socket, EPOLL_CTL_MOD, wanted ? EPOLLIN | EPOLLOUT : EPOLLIN, token, closedResult: 0);

    public override int Wait(int timeoutMs, ReadyEvent[] events, out bool woken, out int errorCode)
    {
        woken = false;
        errorCode = 0;
        var buffer = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_events));
        var count = EpollWait(_epollFd, buffer, Math.Min(_maxEvents, events.Length), timeoutMs);
        if (count < 0)
        {
            errorCode = Marshal.GetLastPInvokeError();
            return errorCode == EINTR ? 0 : -1;
        }

        var ready = 0;
        for (var i = 0; i < count; i++)
        {
            var entry = buffer + (i * EpollEventSize);
            var flags = Unsafe.ReadUnaligned<uint>(entry);
            var token = Unsafe.ReadUnaligned<long>(entry + EpollDataOffset);
            if (token == WakeToken)
            {
                ulong value = 0;
                _ = Read(_eventFd, &value, sizeof(ulong));
                woken = true;
                continue;
            }

            events[ready++] = new ReadyEvent(
                token,
                Readable: (flags & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0,
                Writable: (flags & EPOLLOUT) != 0);
        }

        return ready;
    }

    public override void Wake()
    {
        ulong one = 1;
        _ = Write(_eventFd, &one, sizeof(ulong));
    }

    public override void Dispose()
    {
        if (_eventFd >= 0)
        {
            _ = Close(_eventFd);
            _eventFd = -1;
        }

        if (_epollFd >= 0)
        {
            _ = Close(_epollFd);
            _epollFd = -1;
        }
    }

    private int Control(int operation, int fd, uint flags, long token)
    {
        var entry = stackalloc byte[16];
        Unsafe.WriteUnaligned(entry, flags);
        Unsafe.WriteUnaligned(entry + EpollDataOffset, token);
        return EpollCtl(_epollFd, operation, fd, entry);
    }

    /// <summary>
    /// Runs epoll_ctl on the socket's descriptor while holding a reference on its handle, so the number cannot
    /// be closed and reused by another socket meanwhile. A closed socket was already dropped by the kernel.
    /// </summary>
    private int WithDescriptor(UdpSocket socket, int operation, uint flags, long token, int closedResult)
    {
        var handle = socket.NetSocket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            // Closed: fall through with added == false.
        }

        if (!added)
        {
            return closedResult;
        }

        try
        {
            return Control(operation, (int)handle.DangerousGetHandle(), flags, token) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            handle.DangerousRelease();
        }
    }
}
