namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>Codes carried by ERROR and CLOSE frames (docs/tunnel-protocol.md §3). Unknown values are kept as numbers.</summary>
public enum TunnelErrorCode : ushort
{
    /// <summary>No error (a normal channel close).</summary>
    None = 0,

    /// <summary>A malformed frame.</summary>
    ProtocolViolation = 1,

    /// <summary>A body length above the receiver's maximum.</summary>
    FrameTooLarge = 2,

    /// <summary>A reliable frame above the next expected sequence number.</summary>
    OutOfSequence = 3,

    /// <summary>An acknowledgement or resume point for frames never sent.</summary>
    BadAcknowledgement = 4,

    /// <summary>No version in common.</summary>
    UnsupportedVersion = 5,

    /// <summary>A wrong or missing proof of the pre-shared key.</summary>
    AuthenticationFailed = 6,

    /// <summary>The auth method is not enabled, or a certificate was required and not verified.</summary>
    AuthMethodNotAllowed = 7,

    /// <summary>The handshake did not complete in time.</summary>
    HandshakeTimeout = 8,

    /// <summary>The server holds its maximum number of sessions.</summary>
    SessionLimit = 9,

    /// <summary>The sender is shutting down.</summary>
    Shutdown = 10,

    /// <summary>A newer connection resumed this session.</summary>
    Replaced = 11,

    /// <summary>Nothing was received for the dead-peer timeout.</summary>
    DeadPeer = 12,

    /// <summary>(CLOSE) The peer refused the OPEN.</summary>
    ChannelRejected = 20,

    /// <summary>(CLOSE) The peer holds its maximum number of channels.</summary>
    ChannelLimit = 21,

    /// <summary>(local) The server no longer knew the session; its channels were closed.</summary>
    SessionLost = 22,
}
