using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastSpinnRelay.Relay.Udp.Internal;

namespace FastSpinnRelay.Relay.Udp;

/// <summary>
/// A bound, non-blocking UDP socket (IPv4 or IPv6) with batched receive and send: recvmmsg/sendmmsg on Linux,
/// <see cref="Socket"/> calls elsewhere. Nothing on its I/O path allocates or throws for network errors;
/// outcomes are <see cref="UdpStatus"/> values and counters.
/// </summary>
/// <remarks>
/// <para>Threading contract:</para>
/// <list type="bullet">
/// <item><see cref="SendTo"/>, <see cref="Send"/>, <see cref="GetCounters"/> and <see cref="Dispose"/>: any thread, any time.</item>
/// <item><see cref="Receive"/>: one thread at a time — the loop thread once registered with a <see cref="UdpEventLoop"/>.</item>
/// <item><see cref="QueueSendTo"/>, <see cref="QueueSend"/>, <see cref="FlushSends"/>: one thread at a time — the loop
/// thread of the loop it is registered with, which flushes it after each iteration. An unregistered socket is
/// flushed by its caller.</item>
/// <item><see cref="Connect(IPEndPoint)"/> and <see cref="TryRedirect"/>: before registering, or on the loop thread.
/// Sends from another thread (a stream's receive loop) may race with a redirect: the kernel switches the destination
/// at once, and a datagram sent meanwhile leaves for the old peer or the new one, whole.</item>
/// </list>
/// <para>
/// Disposing a registered socket also unregisters it (the loop applies that on its thread); in-flight calls
/// finish safely and later ones return <see cref="UdpStatus.Closed"/>.
/// </para>
/// </remarks>
public sealed partial class UdpSocket : IDisposable
{
    private const int SolSocket = 1;
    private const int SoSndBufForce = 32;
    private const int SoRcvBufForce = 33;

    private readonly Socket _socket;
    private readonly DatagramIo _io;
    private readonly UdpSocketOptions _options;
    private readonly string _name;
    private readonly bool _coalescing;
    private int _disposed;

    /// <summary>Opens a UDP socket bound to <paramref name="localEndPoint"/> (port 0 picks a free port).</summary>
    /// <exception cref="SocketException">Binding or connecting failed (setup errors do throw).</exception>
    public UdpSocket(IPEndPoint localEndPoint, UdpSocketOptions? options = null)
        : this(localEndPoint, options, wrapIo: null)
    {
    }

    /// <param name="localEndPoint">Where to bind.</param>
    /// <param name="options">Options, or the defaults.</param>
    /// <param name="wrapIo">Test seam: wraps the chosen I/O path (e.g. to inject errors).</param>
    internal UdpSocket(IPEndPoint localEndPoint, UdpSocketOptions? options, Func<DatagramIo, DatagramIo>? wrapIo)
    {
        ArgumentNullException.ThrowIfNull(localEndPoint);
        options ??= UdpSocketOptions.Default;
        options.Validate();
        _options = options;

        _socket = new Socket(localEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (localEndPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _socket.DualMode = options.DualMode;
            }

            ReceiveBufferSize = ApplyBufferSize(SocketOptionName.ReceiveBuffer, SoRcvBufForce, options.ReceiveBufferBytes);
            SendBufferSize = ApplyBufferSize(SocketOptionName.SendBuffer, SoSndBufForce, options.SendBufferBytes);
            ReceiveBufferCapped = BufferCapWarning.IsCapped(options.ReceiveBufferBytes, ReceiveBufferSize);
            if (ReceiveBufferCapped && options.ForceBufferSizes)
            {
                BufferCapWarning.Note(options.ReceiveBufferBytes, ReceiveBufferSize); // once per process
            }
            _socket.Blocking = false;
            _socket.Bind(localEndPoint);
            LocalAddress = UdpAddress.FromIPEndPoint((IPEndPoint)_socket.LocalEndPoint!);
            if (options.RemoteEndPoint is { } remote)
            {
                Connect(remote);
            }

            DatagramIo io = !options.UsePortableIo && LinuxInterop.IsAvailable
                ? new LinuxDatagramIo(_socket.SafeHandle, options.SendSegmentation)
                : new PortableDatagramIo(_socket);
            _io = wrapIo is null ? io : wrapIo(io);
            _coalescing = options.ReceiveCoalescing && io.IsNative && TryEnableCoalescing();
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        _name = options.Name ?? LocalAddress.ToString();
    }

    /// <summary>
    /// The socket itself, for a request and its reply before this socket joins a loop (the live-output socket sets its
    /// IP tag through it, so the tag's port is never let go); not to be used once it has joined one.
    /// </summary>
    internal Socket Underlying => _socket;

    /// <summary>True when the kernel may hand this socket coalesced datagram trains (UDP_GRO), which it splits again.</summary>
    internal bool ReceivesCoalesced => _coalescing;

    /// <summary>
    /// True when this socket's last coalesced read into <paramref name="batch"/> holds more datagrams than the batch
    /// took: <see cref="Receive"/> again with the same batch before using it for another socket (the kernel will not
    /// signal them again; an <see cref="UdpEventLoop"/> does this itself).
    /// </summary>
    public bool HasPendingReceive(DatagramBatch batch) =>
        _coalescing && batch is { HasCoalesced: true } && batch.Coalesced is { HasPending: true } area && area.Owner == this;

    /// <summary>
    /// True while queued sends go out as UDP GSO groups (Linux, <see cref="UdpSocketOptions.SendSegmentation"/>, not
    /// refused). Only then does a queued datagram join the run in the last send slot (same size, same destination):
    /// a packed slot needs UDP_SEGMENT to leave as separate datagrams.
    /// </summary>
    internal bool SendsSegmented => _io.Segmentation;

    /// <summary>The bound address (with the port the kernel picked for port 0).</summary>
    public UdpAddress LocalAddress { get; }

    /// <summary>The bound address as an <see cref="IPEndPoint"/> (allocates).</summary>
    public IPEndPoint LocalEndPoint => LocalAddress.ToIPEndPoint();

    /// <summary>The connected peer, or an empty address when not connected.</summary>
    public UdpAddress RemoteAddress { get; private set; }

    public bool IsConnected => !RemoteAddress.IsEmpty;

    /// <summary>
    /// SO_RCVBUF as granted, in bytes. Linux reports twice the effective request (the kernel adds room for its
    /// bookkeeping), capped by <c>net.core.rmem_max</c> unless forced.
    /// </summary>
    public int ReceiveBufferSize { get; }

    /// <summary>
    /// True when the kernel granted less receive buffer than <see cref="UdpSocketOptions.ReceiveBufferBytes"/> asked
    /// (<c>net.core.rmem_max</c> without CAP_NET_ADMIN). For sockets that force their sizes (the listening ones), the
    /// first such socket of the process logs a warning naming the fix.
    /// </summary>
    public bool ReceiveBufferCapped { get; }

    /// <summary>SO_SNDBUF as granted, in bytes (same conventions as <see cref="ReceiveBufferSize"/>).</summary>
    public int SendBufferSize { get; }

    /// <summary>True when this socket uses recvmmsg/sendmmsg (Linux, not forced portable).</summary>
    public bool UsesBatchSyscalls => _io.IsNative;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>The name from the options, or the bound address.</summary>
    public string Name => _name;

    /// <summary>The loop this socket is registered with, if any. Set by <see cref="UdpEventLoop.Register"/>.</summary>
    internal UdpEventLoop? Owner;

    /// <summary>Loop bookkeeping: index of this socket's registration in its loop.</summary>
    internal int LoopSlot = -1;

    /// <summary>Loop bookkeeping: already in the loop's list of sockets to flush this iteration.</summary>
    internal bool PendingFlush;

    /// <summary>Loop bookkeeping: registered for writability because a flush hit a full send buffer.</summary>
    internal bool WaitingForWritable;

    internal Socket NetSocket => _socket;

    /// <summary>
    /// Connects to <paramref name="remote"/>: from then on only its datagrams are received, sends may omit the
    /// address, and ICMP errors from it are reported (<see cref="UdpStatus.PeerUnreachable"/>).
    /// </summary>
    public void Connect(IPEndPoint remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        _socket.Connect(remote);
        RemoteAddress = UdpAddress.FromIPEndPoint(remote);
    }

    /// <summary>
    /// Connects a connected socket to another peer (a board's new address after a reload): from then on sends that omit
    /// the address go to <paramref name="remote"/>, and only its datagrams are received. False, changing nothing, when
    /// this socket cannot reach it: another address family, or bound to loopback while the peer is not (the kernel would
    /// refuse); or when the socket is closed or the kernel refuses anyway. Not per datagram: it allocates.
    /// </summary>
    public bool TryRedirect(IPEndPoint remote)
    {
        ArgumentNullException.ThrowIfNull(remote);
        var bound = LocalAddress.ToIPEndPoint().Address;
        if (IsDisposed || remote.AddressFamily != bound.AddressFamily || (IPAddress.IsLoopback(bound) && !IPAddress.IsLoopback(remote.Address)))
        {
            return false;
        }

        try
        {
            Connect(remote);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>A consistent-enough snapshot of the counters, readable from any thread.</summary>
    public UdpSocketCounters GetCounters() => new(
        Volatile.Read(ref _datagramsIn),
        Volatile.Read(ref _bytesIn),
        Volatile.Read(ref _datagramsOut),
        Volatile.Read(ref _bytesOut),
        Volatile.Read(ref _sendDrops),
        Volatile.Read(ref _sendErrors),
        Volatile.Read(ref _receiveErrors),
        Volatile.Read(ref _icmpErrors),
        Volatile.Read(ref _truncated));

    /// <summary>Closes the socket (idempotent). Queued sends that were not flushed are discarded.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Owner?.Unregister(this);
        _socket.Dispose();
    }

    public override string ToString() => _name;

    /// <summary>Sets UDP_GRO; false when the kernel does not know it (then datagrams arrive one by one, as before).</summary>
    private bool TryEnableCoalescing()
    {
        try
        {
            Span<byte> on = stackalloc byte[sizeof(int)];
            MemoryMarshal.Write(on, 1);
            _socket.SetRawSocketOption(LinuxInterop.SOL_UDP, LinuxInterop.UDP_GRO, on);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private int ApplyBufferSize(SocketOptionName option, int forceOption, int requested)
    {
        if (requested > 0)
        {
            try
            {
                _socket.SetSocketOption(SocketOptionLevel.Socket, option, requested);
            }
            catch (SocketException)
            {
                // Keep whatever the system allows; the granted size is reported below.
            }

            // Linux doubles the effective request when reporting it.
            var expected = OperatingSystem.IsLinux() ? 2L * requested : requested;
            if (_options.ForceBufferSizes && OperatingSystem.IsLinux() && ReadBufferSize(option) < expected)
            {
                try
                {
                    Span<byte> value = stackalloc byte[sizeof(int)];
                    MemoryMarshal.Write(value, in requested);
                    _socket.SetRawSocketOption(SolSocket, forceOption, value);
                }
                catch (SocketException)
                {
                    // Not privileged (CAP_NET_ADMIN): keep the capped size.
                }
            }
        }

        return ReadBufferSize(option);
    }

    private int ReadBufferSize(SocketOptionName option) =>
        (int)_socket.GetSocketOption(SocketOptionLevel.Socket, option)!;

    private void ReportError(UdpOperation operation, int errorCode)
    {
        if (_options.ErrorSink is { } sink)
        {
            try
            {
                sink.OnSocketError(this, operation, errorCode);
            }
            catch (Exception)
            {
                // A failing sink must not take the I/O path down with it.
            }
        }
    }
}
