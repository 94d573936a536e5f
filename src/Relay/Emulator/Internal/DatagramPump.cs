using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Diagnostics;
using FastSpinnRelay.Relay.Internal;

namespace FastSpinnRelay.Relay.Emulator.Internal;

/// <summary>
/// One UDP socket served by one dedicated background thread: a blocking, allocation-free receive loop that hands
/// each datagram and its sender to a handler on that thread. The pump owns the socket; <see cref="Dispose"/>
/// closes it (which wakes the blocked receive at once) and joins the thread. A short receive timeout bounds the
/// wait even where closing does not wake a receive.
/// </summary>
internal sealed class DatagramPump : IDisposable
{
    /// <summary>How long one blocking receive waits before the loop re-checks whether it should stop.</summary>
    private const int ReceiveTimeoutMs = 250;

    /// <summary>How long <see cref="Dispose"/> waits for the thread.</summary>
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(2);

    private readonly byte[] buffer;
    private readonly Handler handler;
    private readonly Thread thread;
    private readonly string name;
    private volatile bool stopping;

    /// <summary>Handles one datagram; both spans/objects are reused after it returns.</summary>
    public delegate void Handler(ReadOnlySpan<byte> datagram, SocketAddress sender);

    /// <param name="socket">A bound UDP socket; the pump owns it from now on.</param>
    /// <param name="bufferSize">Receive buffer; make it larger than any datagram the handler accepts so an oversized one is seen as such.</param>
    /// <param name="handler">Called on the pump's thread for every datagram.</param>
    /// <param name="name">Thread name and log component, e.g. "emulator scp".</param>
    public DatagramPump(Socket socket, int bufferSize, Handler handler, string name)
    {
        Socket = socket;
        buffer = new byte[bufferSize];
        this.handler = handler;
        this.name = name;
        socket.ReceiveTimeout = ReceiveTimeoutMs;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        thread = new Thread(Run) { IsBackground = true, Name = name };
    }

    /// <summary>The socket (senders may use it from other threads; UDP sends are safe to interleave).</summary>
    public Socket Socket { get; }

    /// <summary>Where the socket is bound (the actual port when bound to port 0).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Starts the receive thread.</summary>
    public void Start() => thread.Start();

    /// <summary>Asks the loop to stop without waiting (so several pumps can stop together).</summary>
    public void RequestStop()
    {
        stopping = true;
        Socket.Dispose();
    }

    /// <summary>Stops the loop, closes the socket and waits (bounded) for the thread.</summary>
    public void Dispose()
    {
        RequestStop();
        if (thread.IsAlive && !thread.Join(JoinTimeout))
        {
            Log.Warn(name, "receive thread did not stop within 2 s");
        }
    }

    private void Run()
    {
        var sender = SocketAddresses.NewBuffer();
        while (!stopping)
        {
            int length;
            try
            {
                length = Socket.ReceiveFrom(buffer, SocketFlags.None, sender);
            }
            catch (SocketException ex) when (IsExpected(ex.SocketErrorCode))
            {
                continue;
            }
            catch (SocketException) when (stopping)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Not seen in practice; keep serving, but do not spin on a persistent error.
                Log.Warn(name, $"receive failed: {ex.SocketErrorCode}");
                Thread.Sleep(10);
                continue;
            }

            handler(buffer.AsSpan(0, length), sender);
        }
    }

    /// <summary>
    /// Errors that say nothing about the socket's health: the receive timeout, an ICMP "port unreachable" for an
    /// earlier send (Windows reports it on the next receive), a datagram larger than the buffer.
    /// </summary>
    private static bool IsExpected(SocketError error) =>
        error is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionReset
            or SocketError.ConnectionRefused or SocketError.MessageSize;
}
