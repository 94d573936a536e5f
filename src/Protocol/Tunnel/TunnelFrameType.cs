namespace FastSpinnRelay.Protocol.Tunnel;

/// <summary>The type byte of a tunnel frame (docs/tunnel-protocol.md §2).</summary>
public enum TunnelFrameType : byte
{
    /// <summary>Client → server, first frame: magic, version range, auth method, features, client nonce.</summary>
    Hello = 0x01,

    /// <summary>Server → client: chosen version, auth method, features, server nonce, server proof.</summary>
    Challenge = 0x02,

    /// <summary>Client → server: client proof, session id to resume (zeros: new), next expected sequence number.</summary>
    Auth = 0x03,

    /// <summary>Server → client: session id and the server's next expected sequence number; flag bit 0 = resumed.</summary>
    Welcome = 0x04,

    /// <summary>Either side, before closing: an error code and a short ASCII text.</summary>
    Error = 0x05,

    /// <summary>Reliable: opens a channel of a kind towards a target.</summary>
    Open = 0x10,

    /// <summary>Reliable: closes a channel, with a code.</summary>
    Close = 0x11,

    /// <summary>Reliable: one datagram on a channel, with the gap since the previous one.</summary>
    Data = 0x12,

    /// <summary>Latest: several datagrams (channel, length, bytes), optionally LZ4-compressed (flag bit 0).</summary>
    Batch = 0x20,

    /// <summary>Cumulative acknowledgement: the next reliable sequence number the sender expects.</summary>
    Ack = 0x30,

    /// <summary>Keepalive request carrying a token.</summary>
    Ping = 0x31,

    /// <summary>Keepalive answer echoing the PING's token.</summary>
    Pong = 0x32,
}
