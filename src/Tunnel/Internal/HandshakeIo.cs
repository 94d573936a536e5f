using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using FastSpinnRelay.Protocol.Framing;
using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>Reading and writing handshake frames, and the HMAC proofs (docs/tunnel-protocol.md §3).</summary>
internal static class HandshakeIo
{
    /// <summary>Room for the largest handshake frame (header + 128-byte body limit).</summary>
    public const int BufferLength = TunnelFrameHeader.Length + TunnelFrameReader.HandshakeMaxBodyLength;

    public const byte Version = 1;

    private static ReadOnlySpan<byte> ServerLabel => "FSRT-server"u8;

    private static ReadOnlySpan<byte> ClientLabel => "FSRT-client"u8;

    /// <summary>
    /// Reads one handshake frame into <paramref name="buffer"/>: its length, or a failure when the peer closed or
    /// announced a body above the 128-byte handshake limit (refused before reading it).
    /// </summary>
    public static async ValueTask<(int Length, TunnelCloseReason Failure)> ReadFrameAsync(PipeReader input, byte[] buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> pending = result.Buffer;
            FrameStatus status = TunnelFrameReader.Handshake.TryReadFrame(ref pending, out ReadOnlySequence<byte> frame, out _);
            if (status == FrameStatus.Done)
            {
                frame.CopyTo(buffer);
                input.AdvanceTo(pending.Start);
                return ((int)frame.Length, TunnelCloseReason.None);
            }

            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            if (status == FrameStatus.TooLarge)
            {
                return (0, TunnelCloseReason.FrameTooLarge);
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                return (0, TunnelCloseReason.PeerClosed);
            }
        }
    }

    public static async ValueTask WriteAsync(PipeWriter output, byte[] frame, int length, CancellationToken cancellationToken)
    {
        await output.WriteAsync(frame.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends ERROR with <paramref name="code"/> and an ASCII text, best effort (the connection is being closed).</summary>
    public static async ValueTask TrySendErrorAsync(PipeWriter output, TunnelErrorCode code, string text, CancellationToken cancellationToken)
    {
        var frame = new byte[TunnelErrorFrame.MinLength + TunnelErrorFrame.MaxTextLength];
        TunnelFrameWriter.TryWriteError(frame, code, System.Text.Encoding.ASCII.GetBytes(text), out int length);
        try
        {
            await WriteAsync(output, frame, length, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException or ObjectDisposedException)
        {
            // the peer is gone already; the close is logged by the caller
        }
    }

    /// <summary>What an ERROR frame received during the handshake means for us.</summary>
    public static HandshakeResult FromPeerError(ReadOnlySpan<byte> frame)
    {
        if (TunnelErrorFrame.TryRead(frame, out TunnelErrorFrame error) != TunnelFrameError.None)
        {
            return HandshakeResult.Failed(TunnelCloseReason.HandshakeViolation, "malformed ERROR frame");
        }

        TunnelCloseReason reason = error.Code switch
        {
            TunnelErrorCode.UnsupportedVersion => TunnelCloseReason.UnsupportedVersion,
            TunnelErrorCode.AuthenticationFailed => TunnelCloseReason.AuthenticationFailed,
            TunnelErrorCode.AuthMethodNotAllowed => TunnelCloseReason.AuthMethodNotAllowed,
            TunnelErrorCode.SessionLimit => TunnelCloseReason.SessionLimit,
            TunnelErrorCode.HandshakeTimeout => TunnelCloseReason.HandshakeTimeout,
            _ => TunnelCloseReason.PeerError,
        };
        return HandshakeResult.Failed(reason, $"peer sent ERROR {error.Code}: \"{TunnelLog.Escape(error.Text)}\"");
    }

    /// <summary>HMAC(K, "FSRT-server" | HELLO body | CHALLENGE body before the proof).</summary>
    public static void ServerProof(TunnelKey key, ReadOnlySpan<byte> helloBody, ReadOnlySpan<byte> challengeProvenBody, Span<byte> proof) =>
        Mac(key, ServerLabel, helloBody, challengeProvenBody, default, proof);

    /// <summary>HMAC(K, "FSRT-client" | HELLO body | CHALLENGE body | AUTH session id and next expected).</summary>
    public static void ClientProof(TunnelKey key, ReadOnlySpan<byte> helloBody, ReadOnlySpan<byte> challengeBody, ReadOnlySpan<byte> authFields, Span<byte> proof) =>
        Mac(key, ClientLabel, helloBody, challengeBody, authFields, proof);

    /// <summary>Constant-time comparison of a received proof with the expected one.</summary>
    public static bool ProofMatches(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> received) =>
        CryptographicOperations.FixedTimeEquals(expected, received);

    private static void Mac(TunnelKey key, ReadOnlySpan<byte> label, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c, Span<byte> proof)
    {
        Span<byte> transcript = stackalloc byte[label.Length + a.Length + b.Length + c.Length];
        label.CopyTo(transcript);
        a.CopyTo(transcript[label.Length..]);
        b.CopyTo(transcript[(label.Length + a.Length)..]);
        c.CopyTo(transcript[(label.Length + a.Length + b.Length)..]);
        HMACSHA256.HashData(key.Bytes, transcript, proof);
    }
}
