namespace FastSpinnRelay.Protocol.Spalloc;

/// <summary>The first word of every Spalloc proxy frame (protocols.md §7.2).</summary>
public enum SpallocOp : uint
{
    /// <summary>Client: open a channel connected to a board's UDP port. Server: the reply with the channel ID.</summary>
    Open = 0,

    /// <summary>Client: close a channel. Server: the reply (channel ID, or 0 if it was not open).</summary>
    Close = 1,

    /// <summary>Either direction: one UDP datagram on a channel.</summary>
    Message = 2,

    /// <summary>Client: open a channel bound to a server-side UDP port. Server: the reply with that address and port.</summary>
    OpenUnbound = 3,

    /// <summary>Client: one UDP datagram on an unbound channel, to a given board and port.</summary>
    MessageTo = 4,

    /// <summary>Server: a request failed; correlation ID and UTF-8 text.</summary>
    Error = 5,
}
