using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Tests.Shared;

namespace FastSpinnRelay.Relay.Tests.Tunneling;

/// <summary>
/// A loopback TCP forwarder the test controls: every accepted connection is relayed to the target, and
/// <see cref="CutAll"/> closes all of them at once, as a network failure would; <see cref="Hold"/> stops relaying
/// (a stalled path: the senders' buffers fill) until <see cref="Release"/>. Tunnel clients connect here.
/// </summary>
internal sealed class CuttableForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private volatile IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Socket> _sockets = [];
    private readonly Task _accept;
    private int _accepted;
    private volatile TaskCompletionSource? _held;

    public CuttableForwarder(IPEndPoint target)
    {
        _target = target;
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _accept = AcceptLoop.RunAsync(_listener, RelayAsync, _stop.Token);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Where connections accepted from now on are relayed (a restarted server elsewhere, say).</summary>
    public IPEndPoint Target
    {
        get => _target;
        set => _target = value;
    }

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Stops relaying in both directions (what is in flight stays in the sockets' buffers).</summary>
    public void Hold() => _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Relays again after <see cref="Hold"/>.</summary>
    public void Release() => Interlocked.Exchange(ref _held, null)?.TrySetResult();

    /// <summary>Closes every relayed connection (both sides).</summary>
    public void CutAll()
    {
        lock (_gate)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            _sockets.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        _stop.Cancel();
        _listener.Stop();
        CutAll();
        await _accept.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _stop.Dispose();
    }

    /// <summary>Relays <paramref name="inbound"/> to the target, or closes it when the target cannot be reached.</summary>
    private async Task RelayAsync(Socket inbound)
    {
        var outbound = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await outbound.ConnectAsync(_target, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            inbound.Dispose();
            outbound.Dispose();
            return;
        }

        lock (_gate)
        {
            _sockets.Add(inbound);
            _sockets.Add(outbound);
        }

        Interlocked.Increment(ref _accepted);
        await Task.WhenAll(PumpAsync(inbound, outbound), PumpAsync(outbound, inbound)).ConfigureAwait(false);
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                if (_held is { } held)
                {
                    await held.Task.ConfigureAwait(false);
                }

                var n = await from.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // cut
        }

        from.Dispose();
        to.Dispose();
    }
}
