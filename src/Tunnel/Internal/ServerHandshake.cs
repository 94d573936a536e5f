using System.IO.Pipelines;
using System.Security.Cryptography;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>
/// The server's half of the handshake up to a verified AUTH: HELLO (version, method) → CHALLENGE → AUTH (check the
/// client). The server then picks the session and writes WELCOME itself.
/// </summary>
internal static class ServerHandshake
{
    /// <summary>
    /// Runs the server's half with <paramref name="credentials"/> (the set in force when the connection came); the result
    /// records them, so the server can tell whether a reload since then still lets the client in.
    /// </summary>
    public static async Task<HandshakeResult> RunAsync(
        ITunnelConnection connection, TunnelServerOptions options, TunnelServerCredentials credentials, CancellationToken cancellationToken)
    {
        PipeReader input = connection.Transport.Input;
        PipeWriter output = connection.Transport.Output;

        var hello = new byte[HandshakeIo.BufferLength];
        (int length, TunnelCloseReason failure) = await HandshakeIo.ReadFrameAsync(input, hello, cancellationToken).ConfigureAwait(false);
        if (failure != TunnelCloseReason.None)
        {
            return HandshakeResult.Failed(failure, "waiting for HELLO");
        }

        TunnelFrameError error = TunnelHello.TryRead(hello.AsSpan(0, length), out TunnelHello view);
        if (error != TunnelFrameError.None)
        {
            return HandshakeResult.Failed(TunnelCloseReason.HandshakeViolation, $"expected HELLO ({error})");
        }

        TunnelAuthMethod method = view.AuthMethod;
        TunnelFeatures clientFeatures = view.Features;
        (TunnelCloseReason refusal, TunnelErrorCode code, string? text) = Check(view, credentials, connection.PeerCertificate);
        if (refusal != TunnelCloseReason.None)
        {
            await HandshakeIo.TrySendErrorAsync(output, code, text!, cancellationToken).ConfigureAwait(false);
            return HandshakeResult.Failed(refusal, text!);
        }

        TunnelFeatures features = TunnelSession.LocalFeatures(options);
        var challenge = new byte[TunnelChallenge.Length];
        TunnelFrameWriter.TryWriteChallenge(challenge, HandshakeIo.Version, method, features, RandomNumberGenerator.GetBytes(32), default, out _);
        if (method == TunnelAuthMethod.PreSharedKey)
        {
            HandshakeIo.ServerProof(credentials.Key!, HelloBody(hello), challenge.AsSpan(TunnelFrameHeader.Length, TunnelChallenge.ProvenBodyLength),
                challenge.AsSpan(TunnelChallenge.Length - 32));
        }

        await HandshakeIo.WriteAsync(output, challenge, challenge.Length, cancellationToken).ConfigureAwait(false);

        var auth = new byte[HandshakeIo.BufferLength];
        (length, failure) = await HandshakeIo.ReadFrameAsync(input, auth, cancellationToken).ConfigureAwait(false);
        if (failure != TunnelCloseReason.None)
        {
            return HandshakeResult.Failed(failure, "waiting for AUTH");
        }

        if (auth[4] == (byte)TunnelFrameType.Error)
        {
            return HandshakeIo.FromPeerError(auth.AsSpan(0, length));
        }

        error = TunnelAuth.TryRead(auth.AsSpan(0, length), out TunnelAuth proof);
        if (error != TunnelFrameError.None)
        {
            return HandshakeResult.Failed(TunnelCloseReason.HandshakeViolation, $"expected AUTH ({error})");
        }

        if (method == TunnelAuthMethod.PreSharedKey)
        {
            Span<byte> expected = stackalloc byte[32];
            HandshakeIo.ClientProof(credentials.Key!, HelloBody(hello), challenge.AsSpan(TunnelFrameHeader.Length), proof.ProvenFields, expected);
            if (!HandshakeIo.ProofMatches(expected, proof.ClientProof))
            {
                const string Text = "authentication failed";
                await HandshakeIo.TrySendErrorAsync(output, TunnelErrorCode.AuthenticationFailed, Text, cancellationToken).ConfigureAwait(false);
                return HandshakeResult.Failed(TunnelCloseReason.AuthenticationFailed, "the client's proof does not match the key (wrong key or none)");
            }
        }

        return new HandshakeResult
        {
            SessionId = proof.SessionId.ToArray(),
            PeerNextExpected = proof.NextExpected,
            LocalFeatures = features,
            PeerFeatures = clientFeatures,
            ClientIdentity = method == TunnelAuthMethod.PreSharedKey ? "pre-shared key" : connection.PeerCertificate!.ToString(),
            ClientFingerprint = method == TunnelAuthMethod.PreSharedKey ? null : connection.PeerCertificate!.Fingerprint,
            Credentials = credentials,
        };
    }

    private static ReadOnlySpan<byte> HelloBody(byte[] hello) => hello.AsSpan(TunnelFrameHeader.Length, TunnelHello.Length - TunnelFrameHeader.Length);

    /// <summary>
    /// Whether HELLO may go on: a common version, and an auth method this server takes; for method 2, a client
    /// certificate the transport found on the allowed list. A refusal's text says which (it goes to the client and the
    /// log; a certificate not on the list is named by its whole fingerprint, what an admin would add).
    /// </summary>
    private static (TunnelCloseReason, TunnelErrorCode, string?) Check(in TunnelHello hello, TunnelServerCredentials credentials, TunnelPeerCertificate? certificate)
    {
        if (hello.MinVersion > HandshakeIo.Version || hello.MaxVersion < HandshakeIo.Version)
        {
            return (TunnelCloseReason.UnsupportedVersion, TunnelErrorCode.UnsupportedVersion,
                $"client offers versions {hello.MinVersion}..{hello.MaxVersion}; server speaks {HandshakeIo.Version}..{HandshakeIo.Version}");
        }

        string? refused = credentials.Key is null && !credentials.AllowClientCertificates
            ? "no client is let in here now: the server has no pre-shared key and lists no client certificate" // a reload revoked the last one
            : hello.AuthMethod == TunnelAuthMethod.PreSharedKey
            ? credentials.Key is null ? "the pre-shared key is not accepted here, only client certificates" : null
            : !credentials.AllowClientCertificates ? "client certificates are not accepted here, only the pre-shared key"
            : certificate is null ? "no client certificate was presented"
            : !credentials.Allows(certificate) ? $"client certificate {certificate.Fingerprint} is not on the server's list"
            : null;
        return refused is null
            ? (TunnelCloseReason.None, TunnelErrorCode.None, null)
            : (TunnelCloseReason.AuthMethodNotAllowed, TunnelErrorCode.AuthMethodNotAllowed, refused);
    }
}
