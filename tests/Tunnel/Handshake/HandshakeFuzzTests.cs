using System.Buffers;
using System.IO.Pipelines;
using FastSpinnRelay.Protocol.Tests.TestSupport;
using FastSpinnRelay.Protocol.Tests.Tunnel;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Internal;
using FastSpinnRelay.Tunnel.Tests.TestSupport;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Tests.Handshake;

/// <summary>
/// Both halves of the handshake fed what a hostile or broken peer could send before closing: every prefix of a real
/// exchange, frames grown past the handshake limit, and seeded random and mutated bytes. Each run ends (the peer's
/// close ends every wait) with a failure that has a reason and a detail, never an exception; a server without the
/// client's key never lets one in.
/// </summary>
public class HandshakeFuzzTests
{
    private const int Runs = 20_000;
    private const int MaxRandomLength = 300;

    private static readonly TunnelServerOptions ServerOptions = new() { Key = TunnelPair.Key };

    [Fact]
    public void Every_prefix_of_a_clients_frames_is_a_failure_with_a_reason()
    {
        byte[] exchange = ClientFrames();
        for (int length = 0; length <= exchange.Length; length++)
        {
            HandshakeResult result = RunServer(exchange.AsSpan(0, length));
            Assert.False(result.Succeeded);
            Assert.False(string.IsNullOrEmpty(result.Detail));
            TunnelCloseReason expected = length < exchange.Length ? TunnelCloseReason.PeerClosed : TunnelCloseReason.AuthenticationFailed;
            Assert.Equal(expected, result.Failure);
        }
    }

    [Theory]
    [InlineData(TunnelFrameReader.HandshakeMaxBodyLength + 1)]
    [InlineData(64 * 1024)]
    [InlineData(int.MaxValue)]
    public void A_first_or_second_frame_above_the_handshake_limit_is_refused_from_its_header(int bodyLength)
    {
        byte[] header = new byte[TunnelFrameHeader.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, bodyLength);
        header[4] = (byte)TunnelFrameType.Hello;

        Assert.Equal(TunnelCloseReason.FrameTooLarge, RunServer(header).Failure);
        Assert.Equal(TunnelCloseReason.FrameTooLarge, RunServer([.. RawPeer.Hello(), .. header]).Failure);
        Assert.Equal(TunnelCloseReason.FrameTooLarge, RunClient(header, TunnelPair.Key).Failure);
    }

    [Fact]
    public void Random_bytes_from_a_client_never_get_past_a_server_that_holds_the_key()
    {
        var seen = new HashSet<TunnelCloseReason>();
        FuzzInputs.Run(seed: 3_1, [ClientFrames(), RawPeer.Hello()], MaxRandomLength, Runs, input =>
        {
            HandshakeResult result = RunServer(input);
            Assert.False(result.Succeeded);
            Assert.False(string.IsNullOrEmpty(result.Detail));
            Assert.True(Enum.IsDefined(result.Failure));
            seen.Add(result.Failure);
        });

        // The mix reaches the proof check, not only the framing.
        Assert.Contains(TunnelCloseReason.AuthenticationFailed, seen);
        Assert.Contains(TunnelCloseReason.HandshakeViolation, seen);
        Assert.Contains(TunnelCloseReason.PeerClosed, seen);
    }

    [Fact]
    public void Random_bytes_from_a_server_end_the_clients_handshake_with_a_reason()
    {
        byte[][] samples = [ServerFrames(resumed: false), ServerFrames(resumed: true), TunnelFrameSamples.Error("no")];
        var seen = new HashSet<TunnelCloseReason>();
        int accepted = 0;
        FuzzInputs.Run(seed: 3_2, samples, MaxRandomLength, Runs, input =>
        {
            // Without a key the server's proof is not checked, so a well-formed CHALLENGE and WELCOME let the client in.
            HandshakeResult keyless = RunClient(input, key: null);
            HandshakeResult keyed = RunClient(input, TunnelPair.Key);

            Assert.False(keyed.Succeeded); // nobody without the key can prove it
            Assert.False(string.IsNullOrEmpty(keyed.Detail));
            Assert.True(keyless.Succeeded || !string.IsNullOrEmpty(keyless.Detail));
            accepted += keyless.Succeeded ? 1 : 0;
            seen.Add(keyless.Failure);
            seen.Add(keyed.Failure);
        });

        Assert.InRange(accepted, 1, Runs);
        Assert.Contains(TunnelCloseReason.AuthenticationFailed, seen);
        Assert.Contains(TunnelCloseReason.HandshakeViolation, seen);
        Assert.Contains(TunnelCloseReason.PeerError, seen);
    }

    /// <summary>HELLO then AUTH, as a client without the key would send them.</summary>
    private static byte[] ClientFrames()
    {
        var auth = new byte[TunnelAuth.Length];
        Assert.True(TunnelFrameWriter.TryWriteAuth(auth, new byte[32], new byte[16], 0, out _));
        return [.. RawPeer.Hello(), .. auth];
    }

    /// <summary>CHALLENGE (client-certificate method, so its proof is not checked by a keyless client) then WELCOME.</summary>
    private static byte[] ServerFrames(bool resumed)
    {
        var challenge = new byte[TunnelChallenge.Length];
        Assert.True(TunnelFrameWriter.TryWriteChallenge(
            challenge, 1, TunnelAuthMethod.ClientCertificate, TunnelFeatures.Lz4, new byte[32], new byte[32], out _));
        var welcome = new byte[TunnelWelcome.Length];
        Assert.True(TunnelFrameWriter.TryWriteWelcome(welcome, new byte[16], 5, resumed, out _));
        return [.. challenge, .. welcome];
    }

    private static HandshakeResult RunServer(ReadOnlySpan<byte> fromClient)
    {
        using var link = new ClosedAfter(fromClient);
        return Finish(ServerHandshake.RunAsync(link.Connection, ServerOptions, TunnelServerCredentials.From(ServerOptions), CancellationToken.None));
    }

    private static HandshakeResult RunClient(ReadOnlySpan<byte> fromServer, TunnelKey? key)
    {
        using var link = new ClosedAfter(fromServer);
        var options = new TunnelClientOptions { Key = key };
        return Finish(ClientHandshake.RunAsync(link.Connection, options, new byte[16], 0, CancellationToken.None));
    }

    /// <summary>The peer's bytes are all there and its end closed, so the handshake cannot wait for more: bounded anyway.</summary>
    private static HandshakeResult Finish(Task<HandshakeResult> run)
    {
        Assert.True(run.Wait(Bounded.Limit), "the handshake did not end although the peer had closed");
        return run.Result;
    }

    /// <summary>A connection whose peer wrote <c>bytes</c> and closed; what this end writes is discarded.</summary>
    private sealed class ClosedAfter : IDisposable
    {
        private readonly Pipe _fromPeer = new();
        private readonly Pipe _toPeer = new(new PipeOptions(pauseWriterThreshold: 0));

        public ClosedAfter(ReadOnlySpan<byte> bytes)
        {
            _fromPeer.Writer.Write(bytes);
            Assert.True(_fromPeer.Writer.FlushAsync().AsTask().Wait(Bounded.Limit));
            _fromPeer.Writer.Complete();
            Connection = new PipeTunnelConnection(_fromPeer.Reader, _toPeer.Writer, "fuzz");
        }

        public ITunnelConnection Connection { get; }

        public void Dispose()
        {
            _fromPeer.Reader.Complete();
            _toPeer.Writer.Complete();
            _toPeer.Reader.Complete();
        }
    }
}
