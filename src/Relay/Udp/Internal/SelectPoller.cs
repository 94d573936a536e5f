using System.Net;
using System.Net.Sockets;

namespace FastSpinnRelay.Relay.Udp.Internal;

/// <summary>
/// Portable readiness: <c>Socket.Select</c> over the registered sockets plus a loopback UDP socket
/// connected to itself, which other threads send one byte to as a wake-up. Correctness over speed, but
/// still no allocation per wait (the lists are reused).
/// </summary>
internal sealed class SelectPoller : LoopPoller
{
    private static readonly byte[] WakeByte = [1];

    private readonly Socket _wake;
    private readonly List<(UdpSocket Socket, long Token, bool WantWrite)> _entries = [];
    private readonly Dictionary<Socket, int> _indexBySocket = new(ReferenceEqualityComparer.Instance);
    private readonly List<Socket> _read = [];
    private readonly List<Socket> _write = [];
    private readonly List<Socket> _error = [];
    private readonly byte[] _drain = new byte[16];

    public SelectPoller()
    {
        _wake = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _wake.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _wake.Connect(_wake.LocalEndPoint!);
            _wake.Blocking = false;
        }
        catch
        {
            _wake.Dispose();
            throw;
        }
    }

    public override int Add(UdpSocket socket, long token)
    {
        if (socket.IsDisposed)
        {
            return (int)SocketError.NotSocket;
        }

        _indexBySocket[socket.NetSocket] = _entries.Count;
        _entries.Add((socket, token, false));
        return 0;
    }

    public override void Remove(UdpSocket socket)
    {
        if (!_indexBySocket.Remove(socket.NetSocket, out var index))
        {
            return;
        }

        // Keep the list dense: move the last entry into the hole.
        var last = _entries.Count - 1;
        if (index != last)
        {
            _entries[index] = _entries[last];
            _indexBySocket[_entries[index].Socket.NetSocket] = index;
        }

        _entries.RemoveAt(last);
    }

    public override void SetWriteInterest(UdpSocket socket, long token, bool wanted)
    {
        if (_indexBySocket.TryGetValue(socket.NetSocket, out var index))
        {
            _entries[index] = _entries[index] with { WantWrite = wanted };
        }
    }

    public override int Wait(int timeoutMs, ReadyEvent[] events, out bool woken, out int errorCode)
    {
        woken = false;
        errorCode = 0;
        _read.Clear();
        _write.Clear();
        _error.Clear();
        _read.Add(_wake);
        foreach (var entry in _entries)
        {
            if (entry.Socket.IsDisposed)
            {
                continue;
            }

            _read.Add(entry.Socket.NetSocket);
            _error.Add(entry.Socket.NetSocket);
            if (entry.WantWrite)
            {
                _write.Add(entry.Socket.NetSocket);
            }
        }

        try
        {
            var micros = timeoutMs < 0 ? -1 : (int)Math.Min((long)timeoutMs * 1000, int.MaxValue);
            Socket.Select(_read, _write.Count > 0 ? _write : null, _error.Count > 0 ? _error : null, micros);
        }
        catch (ObjectDisposedException)
        {
            // A socket was disposed after the lists were built; the loop unregisters it. Try again next time.
            return 0;
        }
        catch (SocketException e)
        {
            errorCode = e.NativeErrorCode;
            return -1;
        }

        var count = 0;
        foreach (var socket in _read)
        {
            if (socket == _wake)
            {
                woken = true;
                DrainWake();
            }
            else
            {
                count = AddEvent(events, count, socket, readable: true, writable: false);
            }
        }

        foreach (var socket in _error)
        {
            // A pending error is handled by receiving; skip sockets already reported readable (one batch each).
            if (!_read.Contains(socket))
            {
                count = AddEvent(events, count, socket, readable: true, writable: false);
            }
        }

        foreach (var socket in _write)
        {
            count = AddEvent(events, count, socket, readable: false, writable: true);
        }

        return count;
    }

    public override void Wake() => _wake.Send(WakeByte.AsSpan(), SocketFlags.None, out _);

    public override void Dispose() => _wake.Dispose();

    private int AddEvent(ReadyEvent[] events, int count, Socket socket, bool readable, bool writable)
    {
        if (count < events.Length && _indexBySocket.TryGetValue(socket, out var index))
        {
            events[count++] = new ReadyEvent(_entries[index].Token, readable, writable);
        }

        return count;
    }

    private void DrainWake()
    {
        for (var i = 0; i < 1024 && _wake.Available > 0; i++)
        {
            _wake.Receive(_drain.AsSpan(), SocketFlags.None, out _);
        }
    }
}
