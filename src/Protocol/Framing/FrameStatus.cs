namespace FastSpinnRelay.Protocol.Framing;

/// <summary>
/// Outcome of the stream readers: <see cref="LengthPrefixedFrameReader"/> and <see cref="Tunnel.TunnelFrameReader"/>.
/// </summary>
public enum FrameStatus : byte
{
    /// <summary>One whole frame was sliced off the front of the buffer.</summary>
    Done = 0,

    /// <summary>
    /// The buffer holds less than one whole frame (part of the 4-byte prefix, or part of the payload); nothing was
    /// consumed. Receive more and call again with the grown buffer.
    /// </summary>
    NeedMoreData,

    /// <summary>
    /// The length prefix announces more than the configured maximum; nothing was consumed. The stream cannot be
    /// resynchronised after this: close the connection.
    /// </summary>
    TooLarge,
}
