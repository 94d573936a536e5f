namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>Why a proxy websocket ended; recorded once (the first reason wins) and logged with the session's counts.</summary>
internal enum ProxyShutdownReason : byte
{
    /// <summary>Still open.</summary>
    None,

    /// <summary>The client sent a close frame.</summary>
    ClientClosed,

    /// <summary>The connection dropped without a close frame (reset, abort, network).</summary>
    ConnectionLost,

    /// <summary>The client broke the protocol (wrong length, unknown op, ...): closed with 1003 or 1009.</summary>
    ProtocolViolation,

    /// <summary>The client took no frame for the stall timeout: it stopped reading.</summary>
    ClientStoppedReading,

    /// <summary>The job was destroyed (deleted, or its keepalive lapsed).</summary>
    JobDestroyed,

    /// <summary>A reload took the user's access away: removed, given a new token, or no longer an admin on another's job.</summary>
    AccessRevoked,

    /// <summary>The server is stopping.</summary>
    ServerStopping,

    /// <summary>An unexpected fault in the server (logged as an error).</summary>
    ServerError,
}
