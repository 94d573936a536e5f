using System.IO.Pipelines;
using System.Security.Cryptography;
using FastSpinnRelay.Protocol.Tunnel;
using FastSpinnRelay.Tunnel.Transport;

namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>The client's half of the handshake: HELLO → CHALLENGE (check the server) → AUTH → WELCOME.</summary>
internal static class ClientHandshake
{
    public static async Task<HandshakeResult> RunAsync(
        ITunnelConnection connection, TunnelClientOptions options, byte[] sessionId, ulong nextExpected, CancellationToken cancellationToken)
    {
        PipeReader input = connection.Transport.Input;
        PipeWriter output = connection.Transport.Output;
        TunnelAuthMethod method = options.Key is null ? TunnelAuthMethod.ClientCertificate : TunnelAuthMethod.PreSharedKey;
        TunnelFeatures features = TunnelSession.LocalFeatures(options);

        var hello = new byte[TunnelHello.Length];
        TunnelFrameWriter.TryWriteHello(hello, HandshakeIo.Version, HandshakeIo.Version, method, features, RandomNumberGenerator.GetBytes(TunnelHello.NonceLength), out _);
        await HandshakeIo.WriteAsync(output, hello, hello.Length, cancellationToken).ConfigureAwait(false);

        var challenge = new byte[HandshakeIo.BufferLength];
        (int length, TunnelCloseReason failure) = await HandshakeIo.ReadFrameAsync(input, challenge, cancellationToken).ConfigureAwait(false);
        HandshakeResult? problem = CheckChallenge(challenge.AsSpan(0, length), failure, hello, method, options.Key, out TunnelFeatures serverFeatures);
        if (problem is not null)
        {
            if (problem.Failure == TunnelCloseReason.AuthenticationFailed)
            {
                await HandshakeIo.TrySendErrorAsync(output, TunnelErrorCode.AuthenticationFailed, "server proof does not match", cancellationToken).ConfigureAwait(false);
            }

            return problem;
        }

        var auth = new byte[TunnelAuth.Length];
        TunnelFrameWriter.TryWriteAuth(auth, default, sessionId, nextExpected, out _);
        if (options.Key is { } key)
        {
            TunnelAuth.TryRead(auth, out TunnelAuth view);
            HandshakeIo.ClientProof(key, hello.AsSpan(TunnelFrameHeader.Length), challenge.AsSpan(TunnelFrameHeader.Length, TunnelChallenge.Length - TunnelFrameHeader.Length),
                view.ProvenFields, auth.AsSpan(TunnelFrameHeader.Length, 32));
        }

        await HandshakeIo.WriteAsync(output, auth, auth.Length, cancellationToken).ConfigureAwait(false);

        var welcome = new byte[HandshakeIo.BufferLength];
        (length, failure) = await HandshakeIo.ReadFrameAsync(input, welcome, cancellationToken).ConfigureAwait(false);
        if (failure != TunnelCloseReason.None)
        {
            return HandshakeResult.Failed(failure, "waiting for WELCOME");
        }

        ReadOnlySpan<byte> frame = welcome.AsSpan(0, length);
        if (frame[4] == (byte)TunnelFrameType.Error)
        {
            return HandshakeIo.FromPeerError(frame);
        }

        TunnelFrameError error = TunnelWelcome.TryRead(frame, out TunnelWelcome accepted);
        if (error != TunnelFrameError.None)
        {
            return HandshakeResult.Failed(TunnelCloseReason.HandshakeViolation, $"expected WELCOME ({error})");
        }

        return new HandshakeResult
        {
            SessionId = accepted.SessionId.ToArray(),
            PeerNextExpected = accepted.NextExpected,
            Resumed = accepted.Resumed,
            LocalFeatures = features,
            PeerFeatures = serverFeatures,
        };
    }

    private static HandshakeResult? CheckChallenge(
        ReadOnlySpan<byte> frame, TunnelCloseReason failure, byte[] hello, TunnelAuthMethod method, TunnelKey? key, out TunnelFeatures serverFeatures)
    {
        serverFeatures = TunnelFeatures.None;
        if (failure != TunnelCloseReason.None)
        {
            return HandshakeResult.Failed(failure, "waiting for CHALLENGE");
        }

        if (frame[4] == (byte)TunnelFrameType.Error)
        {
            return HandshakeIo.FromPeerError(frame);
        }

        TunnelFrameError error = TunnelChallenge.TryRead(frame, out TunnelChallenge challenge);
        if (error != TunnelFrameError.None)
        {
            return HandshakeResult.Failed(TunnelCloseReason.HandshakeViolation, $"expected CHALLENGE ({error})");
        }

        if (challenge.Version != HandshakeIo.Version)
        {
            return HandshakeResult.Failed(TunnelCloseReason.UnsupportedVersion, $"server chose version {challenge.Version}, not offered");
        }

        if (challenge.AuthMethod != method)
        {
            return HandshakeResult.Failed(TunnelCloseReason.HandshakeViolation, $"server answered auth method {challenge.AuthMethod}, not {method}");
        }

        if (key is not null)
        {
            Span<byte> expected = stackalloc byte[32];
            HandshakeIo.ServerProof(key, hello.AsSpan(TunnelFrameHeader.Length), challenge.Body[..TunnelChallenge.ProvenBodyLength], expected);
            if (!HandshakeIo.ProofMatches(expected, challenge.ServerProof))
            {
                return HandshakeResult.Failed(TunnelCloseReason.AuthenticationFailed, "the server's proof does not match our key: a wrong key, or not our server");
            }
        }

        serverFeatures = challenge.Features;
        return null;
    }
}
