using FastSpinnRelay.Protocol.Tunnel;

namespace FastSpinnRelay.Tunnel.Internal;

/// <summary>The outcome of either side's handshake: failure with a reason and detail, or what the session needs.</summary>
internal sealed class HandshakeResult
{
    public TunnelCloseReason Failure { get; init; }

    public string? Detail { get; init; }

    public bool Succeeded => Failure == TunnelCloseReason.None;

    /// <summary>Client: the session id from WELCOME. Server: the session id AUTH asks to resume (zeros: new).</summary>
    public byte[] SessionId { get; init; } = new byte[TunnelAuth.SessionIdLength];

    /// <summary>The peer's next expected reliable sequence number (where its retransmission starts).</summary>
    public ulong PeerNextExpected { get; init; }

    /// <summary>Client only: WELCOME's resumed flag.</summary>
    public bool Resumed { get; init; }

    public TunnelFeatures LocalFeatures { get; init; }

    public TunnelFeatures PeerFeatures { get; init; }

    /// <summary>Server only: how the client proved itself, for the log ("pre-shared key", or its certificate).</summary>
    public string? ClientIdentity { get; init; }

    /// <summary>
    /// Server only: the SHA-256 fingerprint of the client certificate the client proved itself with (auth method 2), or
    /// null for the pre-shared key. A session is resumed only by the identity that opened it.
    /// </summary>
    public string? ClientFingerprint { get; init; }

    /// <summary>Server only: the credentials the client was checked against (a reload may have replaced them since).</summary>
    public TunnelServerCredentials? Credentials { get; init; }

    public static HandshakeResult Failed(TunnelCloseReason reason, string detail) => new() { Failure = reason, Detail = detail };
}
