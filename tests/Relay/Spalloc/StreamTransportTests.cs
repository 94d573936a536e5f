using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastSpinnRelay.Relay.Spalloc.Server.Internal;
using FastSpinnRelay.Relay.Tests.Spalloc.TestSupport;
using FastSpinnRelay.Relay.Tests.TestSupport;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace FastSpinnRelay.Relay.Tests.Spalloc;

/// <summary>The Spalloc server's own TCP transport under Kestrel: binding, accepting, the pipes, abort and dispose.</summary>
public class StreamTransportTests
{
    [Fact]
    public async Task Kestrel_binds_and_accepts_through_the_stream_transport_and_idle_connections_hold_no_buffer()
    {
        await using var server = await SpallocTestServer.StartAsync();
        var transport = Assert.IsType<StreamTransport>(server.Server.Services.GetRequiredService<IConnectionListenerFactory>());
        using var http = new SpallocHttp(server.BaseUri);

        using var response = await http.LoginAsync(SpallocTestServer.AliceToken);

        Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
        Assert.True(transport.Accepted >= 1, $"accepted {transport.Accepted}");
        // An idle keep-alive connection waits with a zero-byte read: it holds no block.
        Assert.True(Loopback.WaitUntil(() => transport.Pool.FreeBlocks == transport.Pool.BlocksCreated),
            $"{transport.Pool.FreeBlocks} of {transport.Pool.BlocksCreated} blocks free");
    }

    [Fact]
    public async Task Garbage_truncated_and_oversized_requests_are_refused_and_the_server_goes_on()
    {
        await using var server = await SpallocTestServer.StartAsync();
        var random = new Random(20261121);
        var inputs = new List<byte[]>
        {
            "NOT HTTP AT ALL\r\n\r\n"u8.ToArray(),
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab"u8.ToArray(),                // truncated body
            System.Text.Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 64 * 1024) + "\r\n\r\n"), // header over the limit
        };
        for (var i = 0; i < 50; i++)
        {
            var bytes = new byte[random.Next(1, 3000)];
            random.NextBytes(bytes);
            inputs.Add(bytes);
        }

        foreach (var input in inputs)
        {
            using var raw = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await raw.ConnectAsync(server.Server.EndPoint);
            try
            {
                await raw.SendAsync(input);
                raw.Shutdown(SocketShutdown.Send);
                var buffer = new byte[4096];
                while (await ReceiveAsync(raw, buffer) > 0)
                {
                    // drain until the server closes (it answers 400 or just closes)
                }
            }
            catch (SocketException)
            {
                // the server reset a connection it refused: fine
            }
        }

        var pool = ((StreamTransport)server.Server.Services.GetRequiredService<IConnectionListenerFactory>()).Pool;
        Assert.True(Loopback.WaitUntil(() => pool.FreeBlocks == pool.BlocksCreated), $"{pool.FreeBlocks} of {pool.BlocksCreated} blocks came back");
        using var http = new SpallocHttp(server.BaseUri);
        using var response = await http.LoginAsync(SpallocTestServer.AliceToken);
        Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
    }

    [Fact]
    public async Task A_taken_address_is_an_AddressInUseException()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();

        await Assert.ThrowsAsync<AddressInUseException>(async () => await new StreamTransport().BindAsync(taken.LocalEndPoint!));
    }

    [Fact]
    public async Task Only_IP_endpoints_are_bound()
    {
        var transport = new StreamTransport();

        Assert.False(transport.CanBind(new UnixDomainSocketEndPoint("/tmp/not-used")));
        await Assert.ThrowsAsync<NotSupportedException>(async () => await transport.BindAsync(new UnixDomainSocketEndPoint("/tmp/not-used")));
    }

    [Fact]
    public async Task Bytes_cross_both_pipes_and_dispose_closes_the_socket_once()
    {
        await using var pair = await Pair.OpenAsync();
        var connection = pair.Server;

        await pair.Client.SendAsync("hello"u8.ToArray());
        var read = await ReadAtLeastAsync(connection.Transport.Input, 5);
        Assert.Equal("hello"u8.ToArray(), read);

        await connection.Transport.Output.WriteAsync("world"u8.ToArray());
        var buffer = new byte[16];
        Assert.Equal(5, await ReceiveAsync(pair.Client, buffer));
        Assert.Equal("world"u8.ToArray(), buffer[..5]);

        await connection.DisposeAsync();
        await connection.DisposeAsync(); // idempotent
        Assert.Equal(0, await ReceiveAsync(pair.Client, buffer));
        Assert.True(connection.ConnectionClosed.WaitHandle.WaitOne(Loopback.Limit), "ConnectionClosed did not fire");
    }

    [Fact]
    public async Task Abort_ends_a_pending_read_and_signals_connection_closed()
    {
        await using var pair = await Pair.OpenAsync();
        var connection = pair.Server;
        var pending = connection.Transport.Input.ReadAsync().AsTask();
        Assert.False(pending.IsCompleted);

        connection.Abort(new ConnectionAbortedException("test"));
        connection.Abort(new ConnectionAbortedException("again")); // idempotent

        var result = await pending.WaitAsync(Loopback.Limit);
        Assert.True(result.IsCompleted);
        Assert.True(connection.ConnectionClosed.WaitHandle.WaitOne(Loopback.Limit), "ConnectionClosed did not fire");
    }

    [Fact]
    public async Task The_peer_closing_completes_the_input()
    {
        await using var pair = await Pair.OpenAsync();
        pair.Client.Shutdown(SocketShutdown.Send);

        var result = await pair.Server.Transport.Input.ReadAsync().AsTask().WaitAsync(Loopback.Limit);

        Assert.True(result.IsCompleted);
        Assert.True(result.Buffer.IsEmpty);
    }

    [Fact]
    public async Task Accept_after_unbind_returns_null()
    {
        var listener = await new StreamTransport().BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var accept = listener.AcceptAsync().AsTask();

        await listener.UnbindAsync();

        Assert.Null(await accept.WaitAsync(Loopback.Limit));
        Assert.Null(await listener.AcceptAsync().AsTask().WaitAsync(Loopback.Limit));
        await listener.DisposeAsync();
    }

    [Fact]
    public async Task A_cancelled_accept_returns_null_instead_of_throwing_into_Kestrel()
    {
        await using var listener = await new StreamTransport().BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        using var cancel = new CancellationTokenSource();
        var accept = listener.AcceptAsync(cancel.Token).AsTask();

        await cancel.CancelAsync();

        Assert.Null(await accept.WaitAsync(Loopback.Limit));
    }

    private static async Task<byte[]> ReadAtLeastAsync(PipeReader input, int count)
    {
        var result = await input.ReadAtLeastAsync(count).AsTask().WaitAsync(Loopback.Limit);
        var bytes = result.Buffer.Slice(0, count).ToArray();
        input.AdvanceTo(result.Buffer.GetPosition(count));
        return bytes;
    }

    private static async Task<int> ReceiveAsync(Socket socket, byte[] buffer)
    {
        using var limit = new CancellationTokenSource(Loopback.Limit);
        return await socket.ReceiveAsync(buffer, SocketFlags.None, limit.Token);
    }

    /// <summary>A listener on 127.0.0.1:0, a client socket, and the accepted side as a <see cref="StreamTransportConnection"/>.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private readonly IConnectionListener _listener;

        private Pair(IConnectionListener listener, Socket client, ConnectionContext server)
        {
            _listener = listener;
            Client = client;
            Server = server;
        }

        public Socket Client { get; }

        public ConnectionContext Server { get; }

        public static async Task<Pair> OpenAsync()
        {
            var listener = await new StreamTransport().BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.EndPoint);
            var server = await listener.AcceptAsync().AsTask().WaitAsync(Loopback.Limit);
            return new Pair(listener, client, Assert.IsType<StreamTransportConnection>(server));
        }

        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Client.Dispose();
            await _listener.DisposeAsync();
        }
    }
}
