using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastSpinnRelay.Tests.Shared;

/// <summary>
/// A small HTTP CONNECT proxy on 127.0.0.1:0 for tests. It reads each request head (<c>CONNECT host:port HTTP/1.1</c>
/// and headers, at most 8 KiB), checks Basic credentials when it was given some (407 otherwise, then it closes),
/// connects to the target and pipes bytes both ways; a target it cannot reach gets 502. It resolves no names itself:
/// a target is an address or a name in <see cref="Hosts"/>, so a name only it knows proves that a connection came
/// through it. <see cref="InterimAnswers"/> go before its 200 (a proxy that says 100 Continue first).
/// <see cref="ScriptedAnswer"/> and <see cref="Silent"/> stand in for proxies that misbehave. Counts the
/// CONNECTs it read, the tunnels it opened and the credentials it refused.
/// </summary>
internal sealed class TestHttpProxy : IAsyncDisposable
{
    private const int MaxHeadBytes = 8 * 1024;
    private static readonly TimeSpan TargetConnectLimit = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly List<Socket> _sockets = [];
    private readonly ConcurrentQueue<string> _targets = new();
    private readonly string? _authorization;
    private readonly Task _accept;
    private int _connects;
    private int _tunnels;
    private int _credentialsRefused;

    /// <summary>A proxy that lets anyone through, or with <paramref name="user"/>, only those who prove it with <paramref name="password"/>.</summary>
    public TestHttpProxy(string? user = null, string? password = null)
    {
        if (user is not null)
        {
            _authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        }

        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _accept = AcceptLoop.RunAsync(_listener, client =>
        {
            Track(client);
            return ServeAsync(client);
        }, _stop.Token);
    }

    public IPEndPoint EndPoint { get; }

    public int Port => EndPoint.Port;

    /// <summary>Names the proxy resolves (to whatever address a test says), and no others.</summary>
    public ConcurrentDictionary<string, IPAddress> Hosts { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>When set, every CONNECT (whose credentials pass) gets these bytes as its answer, and the connection is then closed.</summary>
    public byte[]? ScriptedAnswer { get; set; }

    /// <summary>When set, sent before the 200 of each tunnel opened, in the same write: interim answers (<c>HTTP/1.1 100 Continue\r\n\r\n</c>).</summary>
    public byte[]? InterimAnswers { get; set; }

    /// <summary>When true, CONNECTs are read and never answered (the connection stays open until the proxy is disposed).</summary>
    public bool Silent { get; set; }

    /// <summary>CONNECT requests read so far.</summary>
    public int Connects => Volatile.Read(ref _connects);

    /// <summary>Tunnels opened (200 answered) so far.</summary>
    public int Tunnels => Volatile.Read(ref _tunnels);

    /// <summary>CONNECTs answered 407: no credentials, or not the ones the proxy was given.</summary>
    public int CredentialsRefused => Volatile.Read(ref _credentialsRefused);

    /// <summary>The targets (host:port as asked) of every CONNECT so far, in order.</summary>
    public string[] Targets => [.. _targets];

    /// <summary>The proxy's URL, with <paramref name="user"/> and <paramref name="password"/> (percent-encoded) when given.</summary>
    public string Url(string? user = null, string? password = null) =>
        user is null ? $"http://127.0.0.1:{Port}"
        : $"http://{Uri.EscapeDataString(user)}{(password is null ? "" : ":" + Uri.EscapeDataString(password))}@127.0.0.1:{Port}";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        lock (_gate)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            _sockets.Clear();
        }

        await _accept.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _stop.Dispose();
    }

    private void Track(Socket socket)
    {
        lock (_gate)
        {
            _sockets.Add(socket);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        try
        {
            var (head, extra) = await ReadHeadAsync(client).ConfigureAwait(false);
            string[] lines = head.Split("\r\n");
            string[] request = lines[0].Split(' ');
            if (request.Length != 3 || request[0] != "CONNECT")
            {
                await AnswerAndCloseAsync(client, "405 Method Not Allowed").ConfigureAwait(false);
                return;
            }

            Interlocked.Increment(ref _connects);
            _targets.Enqueue(request[1]);
            if (_authorization is not null && Header(lines, "Proxy-Authorization") != _authorization)
            {
                Interlocked.Increment(ref _credentialsRefused);
                await AnswerAndCloseAsync(client, "407 Proxy Authentication Required", "Proxy-Authenticate: Basic realm=\"test\"\r\n").ConfigureAwait(false);
                return;
            }

            if (Silent)
            {
                await Task.Delay(Timeout.Infinite, _stop.Token).ConfigureAwait(false);
                return;
            }

            if (ScriptedAnswer is { } scripted)
            {
                await client.SendAsync(scripted, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Send);
                return;
            }

            Socket? target = await ConnectTargetAsync(request[1]).ConfigureAwait(false);
            if (target is null)
            {
                await AnswerAndCloseAsync(client, "502 Bad Gateway").ConfigureAwait(false);
                return;
            }

            Track(target);
            byte[] answer = [.. InterimAnswers ?? [], .. "HTTP/1.1 200 Connection established\r\n\r\n"u8];
            await client.SendAsync(answer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _tunnels);
            if (extra.Length > 0)
            {
                await target.SendAsync(extra, SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }

            await Task.WhenAll(PumpAsync(client, target), PumpAsync(target, client)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            // the client went away, or the proxy is being disposed
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>The request head up to its blank line (without it) and whatever came after it; throws if there is none within 8 KiB.</summary>
    private async Task<(string Head, byte[] Extra)> ReadHeadAsync(Socket client)
    {
        var buffer = new byte[MaxHeadBytes];
        int received = 0;
        while (true)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, _stop.Token).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("closed before the end of the request head");
            }

            received += n;
            int end = buffer.AsSpan(0, received).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return (Encoding.Latin1.GetString(buffer, 0, end), buffer[(end + 4)..received]);
            }

            if (received == buffer.Length)
            {
                throw new IOException("no blank line within 8 KiB");
            }
        }
    }

    private static string? Header(string[] lines, string name)
    {
        foreach (string line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    /// <summary>A connection to host:port (an address, or a name in <see cref="Hosts"/>), or null when there is none to be had.</summary>
    private async Task<Socket?> ConnectTargetAsync(string authority)
    {
        int colon = authority.LastIndexOf(':');
        string host = colon > 0 ? authority[..colon].Trim('[', ']') : "";
        if (colon <= 0 || !int.TryParse(authority.AsSpan(colon + 1), out int port) || port is < 1 or > 65535
            || !(IPAddress.TryParse(host, out IPAddress? address) || Hosts.TryGetValue(host, out address)))
        {
            return null;
        }

        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        limit.CancelAfter(TargetConnectLimit);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), limit.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            _stop.Token.ThrowIfCancellationRequested();
            return null;
        }
    }

    private async Task AnswerAndCloseAsync(Socket client, string status, string headers = "")
    {
        byte[] answer = Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n");
        await client.SendAsync(answer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
        client.Shutdown(SocketShutdown.Send);
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // cut, or the proxy is being disposed
        }

        from.Dispose();
        to.Dispose();
    }
}
