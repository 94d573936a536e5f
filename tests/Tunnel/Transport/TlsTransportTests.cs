using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using FastSpinnRelay.Tunnel.Transport;
using FastSpinnRelay.Tunnel.Transport.Internal;

namespace FastSpinnRelay.Tunnel.Tests.TransportStreams;

/// <summary>The TLS transport: what it negotiates, and that bytes cross it whole and in order in pieces of every size.</summary>
public class TlsTransportTests
{
    [Fact]
    public async Task Both_ends_agree_on_tls13_with_an_aead_suite()
    {
        await using TlsPair pair = await TlsPair.ConnectAsync();

        foreach (ITunnelConnection end in new[] { pair.Client, pair.Server })
        {
            var ssl = Assert.IsType<SslStream>(Assert.IsType<StreamConnection>(end).Stream);
            Assert.Equal(System.Security.Authentication.SslProtocols.Tls13, ssl.SslProtocol);
            Assert.Contains(ssl.NegotiatedCipherSuite, new[]
            {
                TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
            });
        }
    }

    [Fact]
    public async Task Writes_of_every_size_arrive_whole_and_in_order_both_ways()
    {
        await using TlsPair pair = await TlsPair.ConnectAsync();
        int[] sizes = [1, 5, 100, 4095, 4096, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 40_000, StreamConnection.BlockBytes];
        byte[] expected = Stream(sizes);

        Task<byte[]> toServer = ReadExactlyAsync(pair.Server.Transport.Input, expected.Length);
        Task<byte[]> toClient = ReadExactlyAsync(pair.Client.Transport.Input, expected.Length);
        await Task.WhenAll(WriteAsync(pair.Client.Transport.Output, sizes, expected), WriteAsync(pair.Server.Transport.Output, sizes, expected))
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(expected, await toServer.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(expected, await toClient.WaitAsync(TimeSpan.FromSeconds(60)));
    }

    private static byte[] Stream(int[] sizes)
    {
        var random = new Random(7);
        byte[] data = new byte[sizes.Sum()];
        random.NextBytes(data);
        return data;
    }

    private static async Task WriteAsync(PipeWriter output, int[] sizes, byte[] data)
    {
        int offset = 0;
        foreach (int size in sizes)
        {
            data.AsSpan(offset, size).CopyTo(output.GetSpan(size));
            output.Advance(size);
            offset += size;
            await output.FlushAsync();
        }
    }

    private static async Task<byte[]> ReadExactlyAsync(PipeReader input, int length)
    {
        byte[] got = new byte[length];
        int taken = 0;
        for (int i = 0; i < 100_000 && taken < length; i++)
        {
            ReadResult result = await input.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            int n = (int)Math.Min(buffer.Length, length - taken);
            buffer.Slice(0, n).CopyTo(got.AsSpan(taken));
            taken += n;
            input.AdvanceTo(buffer.GetPosition(n));
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal(length, taken);
        return got;
    }

    private sealed class TlsPair : IAsyncDisposable
    {
        private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _certificate;
        private readonly TcpTunnelListener _listener;

        private TlsPair(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, TcpTunnelListener listener, ITunnelConnection client, ITunnelConnection server)
        {
            _certificate = certificate;
            _listener = listener;
            Client = client;
            Server = server;
        }

        public ITunnelConnection Client { get; }

        public ITunnelConnection Server { get; }

        public static async Task<TlsPair> ConnectAsync()
        {
            var certificate = TunnelCertificates.CreateSelfSigned("relay.test");
            var listener = new TcpTunnelListener(new IPEndPoint(IPAddress.Loopback, 0), new TunnelTlsServerOptions { Certificate = certificate });
            var connector = new TcpTunnelConnector("127.0.0.1", listener.LocalEndPoint.Port, new TunnelTlsClientOptions
            {
                TargetHost = "relay.test",
                PinnedServerCertificate = TunnelCertificates.Fingerprint(certificate),
            });
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            ValueTask<ITunnelConnection> accept = listener.AcceptAsync(timeout.Token);
            ITunnelConnection client = await connector.ConnectAsync(timeout.Token);
            ITunnelConnection server = await accept;
            return new TlsPair(certificate, listener, client, server);
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
            await _listener.DisposeAsync();
            _certificate.Dispose();
        }
    }
}
